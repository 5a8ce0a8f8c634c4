package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/domain"
)

// group is a command that only holds others, e.g. `clusters`. Alone it prints its help;
// with an argument that is none of its commands it is a usage error.
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs, RunE: groupRun}
	g.AddCommand(children...)
	return g
}

// groupRun is the RunE of the root and of every group.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	name := strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()) + " " + args[0])
	msg := fmt.Sprintf("unknown command %q", name)
	if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", suggestions[0])
	}
	return usageErrorf("%s; run `cwctl help`", msg)
}

// exactArgs requires n positional arguments; otherwise it shows the command's use line.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// noArgs is exactArgs(0).
var noArgs = exactArgs(0)

// Output formats of -o.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

var outputFormats = []string{outputTable, outputJSON, outputYAML}

// formatValue is the value of -o: one of outputFormats.
type formatValue struct{ p *string }

func (f formatValue) String() string { return *f.p }
func (f formatValue) Type() string   { return "format" }
func (f formatValue) Set(v string) error {
	for _, format := range outputFormats {
		if v == format {
			*f.p = v
			return nil
		}
	}
	return fmt.Errorf("must be %s", orList(outputFormats))
}

// printing adds -o table|json|yaml to cmd, a command that prints what the API replied.
func (s *session) printing(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().VarP(formatValue{&s.output}, "output", "o", "output `format`: "+orList(outputFormats))
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// fileFlag adds the -f FILE of a create command: what it creates, as YAML or JSON.
func fileFlag(cmd *cobra.Command, file *string, what string) {
	cmd.Flags().StringVarP(file, "filename", "f", "", what+" as a YAML or JSON `FILE` (- reads standard input)")
	cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
}

// Values of --on-failure.
var onFailureValues = []string{domain.OnFailureWait, domain.OnFailureCompensate}

// decisionFlags are the optional settings of a started operation: what it does when a
// step fails after its automatic retries, and how long it waits for a person.
type decisionFlags struct {
	onFailure, timeout string
}

func (d *decisionFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.onFailure, "on-failure", "",
		"what a step that fails after its retries does, `MODE`: wait for a decision (ops retry/cancel) or compensate at once (default: the server's, wait)")
	cmd.Flags().StringVar(&d.timeout, "decision-timeout", "",
		"how long to wait for a decision before compensating, a `DURATION` like 30m or 24h (default: the server's)")
	cmd.RegisterFlagCompletionFunc("on-failure", cobra.FixedCompletions(onFailureValues, cobra.ShellCompDirectiveNoFileComp))
}

// values checks the flags and returns those that were given, by API field name.
func (d *decisionFlags) values() (map[string]string, error) {
	v := map[string]string{}
	if d.onFailure != "" {
		if d.onFailure != onFailureValues[0] && d.onFailure != onFailureValues[1] {
			return nil, usageErrorf("--on-failure: must be %s, not %q", orList(onFailureValues), d.onFailure)
		}
		v["on_failure"] = d.onFailure
	}
	if d.timeout != "" {
		if _, err := time.ParseDuration(d.timeout); err != nil {
			return nil, usageErrorf("--decision-timeout: want a duration like 30m or 24h, not %q", d.timeout)
		}
		v["decision_timeout"] = d.timeout
	}
	return v, nil
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
