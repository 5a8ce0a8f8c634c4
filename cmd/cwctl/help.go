package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "cwctl: the command-line client of the Clusterwright API.")
	fmt.Fprintln(w, "\nUsage:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", usageLine(c), c.summary)
	}
	fmt.Fprintf(tw, "  cwctl help\tthis text\n")
	tw.Flush()
	fmt.Fprintf(w, `
Every command takes --url URL (default $%s) and --token TOKEN (default $%s);
`+"`clusterwright dev`"+` writes both to its env file. -o json prints the API's JSON instead of a table.
--wait follows the started operation like `+"`ops watch`"+` (with -o json: prints the ended operation).
Exit codes: 0 success; 2 bad usage or a request the API refused (4xx); 1 anything else,
including an operation that ended Failed or Canceled.
`, envURL, envToken)
}

// usageLine is a command's synopsis, built from its arguments and flags.
func usageLine(c command) string {
	parts := append([]string{"cwctl", c.name}, c.args...)
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.output {
		parts = append(parts, "[-o table|json]")
	}
	c.setup(fs)
	fs.VisitAll(func(f *flag.Flag) {
		name, _ := flag.UnquoteUsage(f)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			parts = append(parts, "[--"+f.Name+"]")
			return
		}
		if f.Name == "f" { // every -f FILE is required
			parts = append(parts, "-f "+strings.ToUpper(name))
			return
		}
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		parts = append(parts, "["+dash+f.Name+" "+strings.ToUpper(name)+"]")
	})
	return strings.Join(parts, " ")
}
