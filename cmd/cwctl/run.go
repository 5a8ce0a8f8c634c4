package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// session is what a running command needs: where to write, the API, the output format.
type session struct {
	stdout, stderr io.Writer
	api            *client.Client
	output         string // outputTable or outputJSON
}

// runMain runs cwctl with args and returns the process exit code: 0 on success, 2 for a
// usage error or a request the API refused as bad (4xx), 1 for anything else (including an
// operation that ended Failed or Canceled).
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var g globals
	top := flag.NewFlagSet("cwctl", flag.ContinueOnError)
	top.SetOutput(stderr)
	top.Usage = func() { printHelp(stderr) }
	g.bind(top)
	if err := top.Parse(args); err != nil {
		return flagExit(err)
	}
	rest := top.Args()
	if len(rest) == 0 || rest[0] == "help" {
		printHelp(stdout)
		return 0
	}
	cmd, n := findCommand(rest)
	if cmd == nil {
		return report(stderr, usageErrorf("unknown command %q; run `cwctl help`", strings.Join(rest[:min(2, len(rest))], " ")))
	}

	s := &session{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("cwctl "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.bind(fs)
	if cmd.output {
		fs.StringVar(&s.output, "o", outputTable, "output format: `table` or json")
	}
	run := cmd.setup(fs)
	fs.Usage = func() { fmt.Fprintf(stderr, "usage: %s\n", usageLine(*cmd)) }
	positional, err := parseInterleaved(fs, rest[n:])
	if err != nil {
		return flagExit(err)
	}
	if len(positional) != len(cmd.args) {
		return report(stderr, usageErrorf("usage: %s", usageLine(*cmd)))
	}
	if cmd.output && s.output != outputTable && s.output != outputJSON {
		return report(stderr, usageErrorf("-o: must be table or json, not %q", s.output))
	}
	if s.api, err = g.connect(os.Getenv); err != nil {
		return report(stderr, err)
	}
	return report(stderr, run(ctx, s, positional))
}

// parseInterleaved parses flags that may come before, between or after the positional
// arguments (`clusters get NAME -o json`) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// flagExit is the exit code after the flag package reported err (it printed it already).
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return exitUsage
}
