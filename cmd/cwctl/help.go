package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// finishHelp gives every command a use line built from its arguments and flags, e.g.
// "cwctl clusters create -f FILE [--wait] [-o table|json|yaml]", and the root an
// overview of every command.
func finishHelp(root *cobra.Command) {
	var b strings.Builder
	b.WriteString("cwctl: the command-line client of the Clusterwright API.\n\nCommands:\n")
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		for i, child := range c.Commands() {
			if c == root && i > 0 {
				b.WriteString("\n") // a blank line between the groups
			}
			child.Use = synopsis(child)
			child.DisableFlagsInUseLine = true
			if !child.HasSubCommands() {
				fmt.Fprintf(&b, "  %s\n      %s\n", child.UseLine(), child.Short)
			}
			visit(child)
		}
	}
	visit(root)
	b.WriteString("  cwctl completion bash|zsh|fish\n      the shell's completion script, e.g. source <(cwctl completion bash)\n")
	b.WriteString("  cwctl help [COMMAND]\n      a command's help, with examples (or: cwctl COMMAND --help)\n")
	fmt.Fprintf(&b, `
Every command takes --url URL (default $%s) and --token TOKEN (default $%s);
`+"`clusterwright dev`"+` writes both to its env file. -o json or -o yaml prints the API's reply
instead of a table. -f FILE takes YAML or JSON. --wait follows the started operation like
`+"`ops watch`"+` (with -o json|yaml: prints the ended operation).
Exit codes: 0 success; 2 bad usage or a request the API refused (4xx); 1 anything else,
including an operation that ended Failed or Canceled.
`, envURL, envToken)
	root.Long = b.String()

	// The root's help is the overview and the global flags; the others keep cobra's.
	commandHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if c != root {
			commandHelp(c, args)
			return
		}
		fmt.Fprintf(c.OutOrStdout(), "%s\nGlobal flags:\n%s", c.Long, c.PersistentFlags().FlagUsages())
	})
}

// synopsis is a command's name, its arguments (the words after the name in its Use) and
// its flags: -f FILE first, -o last, optional ones in brackets.
func synopsis(c *cobra.Command) string {
	parts := strings.Fields(c.Use)
	var flags []*pflag.Flag
	c.Flags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
	rank := func(f *pflag.Flag) int {
		switch {
		case f.Name == "filename" || required(f):
			return 0
		case f.Name == "output":
			return 2
		}
		return 1
	}
	sort.SliceStable(flags, func(i, j int) bool { return rank(flags[i]) < rank(flags[j]) })
	for _, f := range flags {
		parts = append(parts, flagSynopsis(f))
	}
	return strings.Join(parts, " ")
}

// required reports whether cobra requires the flag (MarkFlagRequired).
func required(f *pflag.Flag) bool {
	return len(f.Annotations[cobra.BashCompOneRequiredFlag]) > 0
}

// flagSynopsis is "-f FILE" or "--cluster CLUSTER" (required), "[--wait]",
// "[-o table|json|yaml]", "[--kind KIND]" or "[--gateway NODE ...]" (repeatable).
func flagSynopsis(f *pflag.Flag) string {
	dash := "--" + f.Name
	if f.Shorthand != "" {
		dash = "-" + f.Shorthand
	}
	if f.Value.Type() == "bool" {
		return "[" + dash + "]"
	}
	if _, ok := f.Value.(formatValue); ok {
		return "[" + dash + " " + strings.Join(outputFormats, "|") + "]"
	}
	name, _ := pflag.UnquoteUsage(f)
	arg := dash + " " + strings.ToUpper(name)
	if f.Name == "filename" || required(f) { // every -f FILE is required
		return arg
	}
	if strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice") {
		arg += " ..."
	}
	return "[" + arg + "]"
}
