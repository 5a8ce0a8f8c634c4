package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// restoreCommand is `clusters restore NAME --backup ID [--wait]`.
func restoreCommand(s *session, names cobra.CompletionFunc) *cobra.Command {
	var backup string
	var wait bool
	var decide decisionFlags
	cmd := &cobra.Command{
		Use:   "restore NAME --backup ID",
		Short: "restore a backup of the cluster's etcd, rewinding the cluster to its time (an operation; admins only)",
		Long: "Restore a backup of the cluster's etcd: the control plane is stopped on every control-plane node,\n" +
			"the backup's snapshot restored on each, and the control plane started again. Everything\n" +
			"changed in the cluster since the backup is lost.",
		Example:           "  cwctl clusters restore dev-east --backup 0f8c2f1e-6a7b-4c1d-9e2f-3a4b5c6d7e8f --wait",
		Args:              exactArgs(1),
		ValidArgsFunction: names,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			if backup == "" {
				return usageErrorf("--backup ID is required")
			}
			settings, err := decide.values()
			if err != nil {
				return err
			}
			path := client.Path("clusters", args[0], "backups", backup, "restore")
			if q := queryOf(settings); len(q) > 0 {
				path += "?" + q.Encode()
			}
			return startOperation(ctx, s, "POST", path, nil, wait, nil)
		}),
	}
	cmd.Flags().StringVar(&backup, "backup", "", "the id of the backup to restore")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the restore until it ends")
	decide.bind(cmd)
	return s.printing(cmd)
}
