package operations

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// Why an operation was released instead of ended by its workflow: the label of
// clusterwright_operations_released_total.
const (
	ReleaseClosed    = "closed"    // the run closed without recording the end
	ReleaseNotFound  = "not-found" // Temporal knows no run of the operation
	ReleaseStuck     = "stuck"     // the run fails its workflow tasks again and again
	ReleaseAbandoned = "abandoned" // an admin abandoned it
)

// Defaults of the reconcile.
const (
	DefaultReconcileInterval = 30 * time.Second
	DefaultReconcileGrace    = time.Minute
	DefaultStuckAttempts     = 10
)

// verdict is what the reconcile does with one active operation.
type verdict struct {
	release   bool
	state     string // Failed, or Succeeded for a run that completed normally
	reason    string // recorded on the operation
	label     string // one of the Release constants
	terminate bool   // the run still runs (stuck): terminate it first
}

// judge decides what to do with active operation op whose run Temporal describes as
// st, at now. A run that closed, or an operation without a run, is only released once
// grace has passed (the run's last record may still land); a run whose workflow task
// has failed stuckAttempts times is stuck. A run that completed normally ends its
// operation Succeeded: the workflow did its work (its code records the end before it
// returns, and fails when it cannot), only the record is missing.
func judge(op domain.Operation, st workflowState, now time.Time, grace time.Duration, stuckAttempts int32) verdict {
	switch {
	case !st.found:
		if now.Sub(op.UpdatedAt) < grace {
			return verdict{}
		}
		if op.RunID == "" {
			return verdict{release: true, state: domain.OpFailed, reason: "the workflow never started", label: ReleaseNotFound}
		}
		return verdict{release: true, state: domain.OpFailed, label: ReleaseNotFound,
			reason: "workflow not found: Temporal has no run " + op.RunID + " of " + op.WorkflowID}
	case st.running():
		if stuckAttempts > 0 && st.taskAttempt >= stuckAttempts {
			return verdict{release: true, state: domain.OpFailed, label: ReleaseStuck, terminate: true,
				reason: fmt.Sprintf("workflow stuck: its workflow task failed %d times", st.taskAttempt)}
		}
		return verdict{}
	case now.Sub(st.closeAt) < grace:
		return verdict{}
	case st.status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return verdict{release: true, state: domain.OpSucceeded, label: ReleaseClosed}
	}
	return verdict{release: true, state: domain.OpFailed, label: ReleaseClosed, reason: "workflow " + statusWord(st.status)}
}

// Reconciler ends the operations whose workflow will never end them, and frees their
// targets: the run was terminated, timed out, lost, or is stuck failing its workflow
// tasks. Every worker runs one; a Postgres advisory lock lets one pass run at a time,
// and every release is conditional on the operation still being active, so workers
// never fight.
type Reconciler struct {
	Operations *Service
	// Interval between passes (default DefaultReconcileInterval).
	Interval time.Duration
	// Grace is how long after its run closed (or, without a run, after its last
	// change) an operation is left for its workflow to record its end (default
	// DefaultReconcileGrace).
	Grace time.Duration
}

// reconcileLock is the advisory lock key of a reconcile pass ("cwrecncl").
const reconcileLock int64 = 0x63777265636e636c

// Run runs a pass every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultReconcileInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.Operations.Logger.Warn("reconcile operations with their workflows", "error", err)
		}
	}
}

// Pass compares every active operation with its workflow once and releases those whose
// workflow will not end them; it returns how many it released. A pass that another
// process runs at the same time is skipped.
func (r *Reconciler) Pass(ctx context.Context) (int, error) {
	released := 0
	_, err := r.Operations.Store.TryExclusive(ctx, reconcileLock, func(ctx context.Context) error {
		ops, err := r.Operations.Store.ActiveOperations(ctx)
		if err != nil {
			return err
		}
		for _, op := range ops {
			ok, err := r.reconcile(ctx, op)
			if err != nil {
				r.Operations.Logger.Warn("reconcile an operation", "operation", op.ID, "error", err)
				continue
			}
			if ok {
				released++
			}
		}
		return ctx.Err()
	})
	return released, err
}

// reconcile judges one operation and releases it when its workflow will not end it.
func (r *Reconciler) reconcile(ctx context.Context, op domain.Operation) (bool, error) {
	s := r.Operations
	st, err := s.describe(ctx, op)
	if err != nil {
		return false, err
	}
	v := judge(op, st, time.Now(), r.grace(), s.stuckAttempts())
	if !v.release {
		return false, nil
	}
	switch {
	case v.terminate:
		if m := s.taskFailure(ctx, op.WorkflowID, st.runID); m != "" {
			v.reason += ": " + m
		}
		if err := s.terminate(ctx, op.WorkflowID, st.runID, "clusterwright reconcile: "+v.reason); err != nil {
			return false, err
		}
	case st.found && v.state == domain.OpFailed:
		v.reason = s.closeReason(ctx, op.WorkflowID, st)
	}
	return s.release(ctx, op, st.runID, v)
}

func (r *Reconciler) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return DefaultReconcileGrace
}

// stuckAttempts is StuckAttempts or its default.
func (s *Service) stuckAttempts() int32 {
	if s.StuckAttempts > 0 {
		return s.StuckAttempts
	}
	return DefaultStuckAttempts
}

// release ends op as v says, freeing its target, and counts and logs it.
func (s *Service) release(ctx context.Context, op domain.Operation, runID string, v verdict) (bool, error) {
	ok, err := s.Store.ReleaseOperation(ctx, op.ID, inventory.Release{State: v.state, Reason: v.reason, RunID: runID})
	if err != nil || !ok {
		return false, err
	}
	if s.Released != nil {
		s.Released(v.label)
	}
	s.Logger.Info("released an operation its workflow did not end", "operation", op.ID, "kind", op.Kind,
		"target", op.Target.Kind+"/"+op.Target.Name, "state", v.state, "why", v.label, "reason", v.reason)
	return true, nil
}
