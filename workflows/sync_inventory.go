package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

// SyncInventoryInput names the vCenter to read and the operation that records the run.
// It carries no credentials: the activity reads them from the inventory.
type SyncInventoryInput struct {
	OperationID string
	VCenterID   string
	VCenterName string
	// Policy says what a failed sync does: wait for a decision (the default) or end.
	Policy domain.FailurePolicy
}

// SyncInventoryResult counts the objects recorded, per kind.
type SyncInventoryResult struct {
	Counts map[string]int
}

// Step names of SyncInventory, as the operation timeline shows them.
const (
	StepCollectInventory = "collect-inventory"
)

// SyncInventory reads a vCenter's inventory with the property collector and replaces the
// recorded inventory with it.
func SyncInventory(ctx workflow.Context, in SyncInventoryInput) (SyncInventoryResult, error) {
	w := syncInventory{in: in, op: newOperation(in.OperationID, in.Policy)}
	return w.run(ctx)
}

type syncInventory struct {
	in  SyncInventoryInput
	op  *operation
	out SyncInventoryResult
}

// vsphereActs names vSphere activities; it is never called.
var vsphereActs *vsphere.Activities

func (w *syncInventory) run(ctx workflow.Context) (res SyncInventoryResult, err error) {
	if err := w.op.begin(ctx); err != nil {
		return res, err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    4 * vsphere.HeartbeatInterval,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5,
			NonRetryableErrorTypes: []string{vsphere.ErrTypeBadCredentials},
		},
	})
	err = w.op.step(ctx, StepCollectInventory, func(ctx workflow.Context) error {
		var r vsphere.SyncResult
		if err := workflow.ExecuteActivity(ctx, vsphereActs.SyncInventory, w.in.VCenterID).Get(ctx, &r); err != nil {
			return err
		}
		w.out.Counts = r.Counts
		return nil
	})
	if err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		_ = workflow.ExecuteLocalActivity(recordCtx(dctx), records.RecordSyncError, w.in.VCenterID, message(err)).Get(dctx, nil)
		return w.out, err
	}
	return w.out, nil
}
