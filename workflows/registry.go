package workflows

import (
	"fmt"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/steptrack"
)

// All lists every workflow a Clusterwright worker runs: app.Register registers them, and
// the replay tests replay their recorded histories.
func All() []any {
	return []any{SyncInventory, ProvisionCluster, DeleteCluster,
		FormClusterSet, JoinClusterSet, LeaveClusterSet, DisbandClusterSet,
		CheckCertificates, RenewCertificates, ScheduledRun,
		BackupCluster, RestoreCluster,
		UpgradeCluster, ScaleCluster, ReplaceNode,
		UpdateVCenterCredentials}
}

// NewReplayer returns a replayer of recorded workflow histories with every workflow
// registered, set up as a worker is: the histories replay against this code as a new
// release would meet the workflows they record. Histories must hold decoded payloads.
func NewReplayer() (worker.WorkflowReplayer, error) {
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		ContextPropagators: []workflow.ContextPropagator{steptrack.Propagator()},
	})
	if err != nil {
		return nil, fmt.Errorf("workflow replayer: %w", err)
	}
	for _, w := range All() {
		r.RegisterWorkflow(w)
	}
	return r, nil
}
