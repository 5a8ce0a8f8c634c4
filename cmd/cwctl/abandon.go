package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// abandonOperationCommand is `cwctl ops abandon ID [--force]`: an admin ends an
// operation whose workflow is gone, closed or stuck, and frees its target.
func abandonOperationCommand(s *session, ops cobra.CompletionFunc) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "abandon ID",
		Short: "admin: fail an operation whose workflow is gone, closed or stuck, and free its target",
		Long: "Mark an operation whose workflow will not end it (terminated, lost, or failing its workflow\n" +
			"tasks) Failed, \"abandoned by\" you, and free its cluster, ClusterSet or vCenter for new\n" +
			"operations. An operation whose workflow still runs normally is refused: cancel it instead\n" +
			"(it compensates), or pass --force to terminate its workflow without compensation.",
		Example:           "  cwctl ops abandon 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n  cwctl ops abandon 1b4e28ba-2fa1-11d2-883f-0016d3cca427 --force",
		Args:              exactArgs(1),
		ValidArgsFunction: ops,
		RunE: s.run(func(ctx context.Context, s *session, args []string) error {
			path := client.Path("operations", args[0], "abandon")
			var q url.Values
			if force {
				q = url.Values{"force": {"true"}}
			}
			resp, err := s.api.Do(ctx, "POST", path, q, nil)
			if err != nil {
				return err
			}
			if s.structured() {
				return s.printReply(resp.Body)
			}
			var reply struct {
				Operation domain.Operation `json:"operation"`
			}
			if err := json.Unmarshal(resp.Body, &reply); err != nil || reply.Operation.ID == "" {
				return fmt.Errorf("POST %s: reply has no operation: %s", path, resp.Body)
			}
			op := reply.Operation
			fmt.Fprintf(s.stdout, "operation %s: %s %s/%s %s: %s\n", op.ID, op.Kind, op.Target.Kind, op.Target.Name, op.State, op.Error)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&force, "force", false, "terminate a workflow that still runs normally (no compensation runs)")
	return s.printing(cmd)
}
