package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/clusterwright/clusterwright/app"
)

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "clusterwright: Kubernetes clusters on vSphere, as durable workflows behind a REST API.")
	fmt.Fprintln(w, "\nUsage:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  clusterwright %s\t%s\n", c.usage, c.summary)
	}
	fmt.Fprintf(tw, "  clusterwright help\tthis text\n")
	tw.Flush()
	fmt.Fprintln(w, "\nConfiguration (a flag wins over its environment variable):")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	var cfg app.Config
	for _, s := range cfg.Settings() {
		def := s.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  --%s\t$%s\t(default %s)\t%s\n", s.Flag, s.Env, def, s.Help)
	}
	tw.Flush()
}
