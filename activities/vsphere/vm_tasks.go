package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// cancelTimeout bounds the best-effort cancellation of an abandoned task.
const cancelTimeout = 10 * time.Second

// runTask starts a vCenter task with start and waits for its result. Each
// attempt holds a slot of the budget of c's vCenter from the start of the
// task to its end; while vCenter is busy the task is started again after a
// pause (retryBusy), without holding a slot. When ctx ends before the task
// does and cancel is set, the task is cancelled (best effort), so that an
// abandoned clone does not finish behind the next attempt's back.
func (o *VMOps) runTask(ctx context.Context, c *vim25.Client, what string, cancel bool, start func(context.Context) (*object.Task, error)) (*types.TaskInfo, error) {
	var info *types.TaskInfo
	err := retryBusy(ctx, func(ctx context.Context) error {
		release, err := o.budget().Acquire(ctx, budgetKey(c))
		if err != nil {
			return err
		}
		defer release()
		task, err := start(ctx)
		if err != nil {
			return err
		}
		info, err = task.WaitForResult(ctx)
		if err != nil && cancel && ctx.Err() != nil {
			cctx, stop := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout)
			defer stop()
			if cerr := task.Cancel(cctx); cerr != nil {
				o.logger().DebugContext(ctx, "cancel abandoned vCenter task failed", "task", what, "error", cerr)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return info, nil
}
