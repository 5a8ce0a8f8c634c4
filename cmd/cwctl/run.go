package main

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// session is what a running command needs: where to write, the settings, the API and
// the output format.
type session struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	globals        globals
	api            *client.Client // set when a command starts running
	output         string         // -o: outputTable, outputJSON or outputYAML
	ran            bool           // a command body started: its errors are not usage errors
}

// runFunc is the body of a command: it runs with its positional arguments once the
// settings are resolved into s.api.
type runFunc func(ctx context.Context, s *session, args []string) error

// runMain runs cwctl with args and returns the process exit code: 0 on success, 2 for a
// usage error or a request the API refused as bad (4xx), 1 for anything else (including an
// operation that ended Failed or Canceled).
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := &session{stdout: stdout, stderr: stderr, getenv: os.Getenv, output: outputTable}
	root := newRoot(s)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && !s.ran {
		err = asUsageError(err) // cobra's own: an unknown flag, a missing argument
	}
	return report(stderr, err)
}

// run turns a command body into cobra's RunE: it resolves the settings into a client,
// then runs the body.
func (s *session) run(body runFunc) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		api, err := s.globals.connect(s.getenv)
		if err != nil {
			return err
		}
		s.api, s.ran = api, true
		return body(cmd.Context(), s, args)
	}
}
