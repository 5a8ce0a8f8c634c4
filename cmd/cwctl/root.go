package main

import (
	"github.com/spf13/cobra"
)

func init() {
	cobra.EnableCommandSorting = false // help lists commands in the order added: resources, then operations
}

// newRoot builds the command tree: one group per API resource, each with its commands.
// Cobra adds `help` and `completion bash|zsh|fish|powershell` when it runs.
func newRoot(s *session) *cobra.Command {
	root := &cobra.Command{
		Use:           "cwctl",
		Short:         "the command-line client of the Clusterwright API",
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRun,
		SilenceErrors: true, // report prints errors, and picks the exit code
		SilenceUsage:  true,
	}
	s.globals.bind(root.PersistentFlags())
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%s; see `%s --help`", err.Error(), cmd.CommandPath())
	})
	root.AddCommand(
		vcentersCommand(s),
		ippoolsCommand(s),
		projectsCommand(s),
		versionsCommand(s),
		clustersCommand(s),
		nodesCommand(s),
		clusterSetsCommand(s),
		backupsGroupCommand(s),
		certsGroupCommand(s),
		schedulesCommand(s),
		opsCommand(s),
		auditCommand(s),
		loginCommand(s),
		devCommand(s),
	)
	finishHelp(root)
	return root
}
