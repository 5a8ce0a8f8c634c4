package operations

import (
	"context"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
)

// Abandon ends, as actor asked, an active operation whose workflow is gone, closed or
// stuck failing its workflow tasks: Failed with "abandoned by <actor>" and why, its
// target freed (see inventory.Store.ReleaseOperation). A run that is stuck is terminated
// first. One that still runs normally is domain.ErrConflict (it should be canceled, which
// compensates) unless force is set: then it is terminated, without compensation. An
// operation that has ended is domain.ErrConflict.
func (s *Service) Abandon(ctx context.Context, op domain.Operation, actor string, force bool) (domain.Operation, error) {
	if !domain.OperationActive(op.State) {
		return op, fmt.Errorf("operation %s is %s; only a Pending, Running or AwaitingDecision one can be abandoned: %w",
			op.ID, op.State, domain.ErrConflict)
	}
	st, err := s.describe(ctx, op)
	if err != nil {
		return op, err
	}
	reason := "abandoned by " + actor
	v := verdict{release: true, state: domain.OpFailed, label: ReleaseAbandoned}
	switch {
	case st.running() && st.taskAttempt >= s.stuckAttempts():
		v.reason = fmt.Sprintf("%s; its workflow task had failed %d times", reason, st.taskAttempt)
		if m := s.taskFailure(ctx, op.WorkflowID, st.runID); m != "" {
			v.reason += ": " + m
		}
	case st.running() && !force:
		return op, fmt.Errorf("operation %s: its workflow is still running; cancel the operation instead "+
			"(POST /api/v1/operations/%s/cancel, which compensates), or abandon it with ?force=true to terminate "+
			"its workflow without compensation: %w", op.ID, op.ID, domain.ErrConflict)
	case st.running():
		v.reason = reason + "; its running workflow was terminated"
	case st.found:
		v.reason = reason + "; " + s.closeReason(ctx, op.WorkflowID, st)
	default:
		v.reason = reason + "; its workflow was not found"
	}
	if st.running() {
		if err := s.terminate(ctx, op.WorkflowID, st.runID, "clusterwright: "+reason); err != nil {
			return op, err
		}
	}
	if _, err := s.release(ctx, op, st.runID, v); err != nil {
		return op, err
	}
	return s.Store.GetOperation(ctx, op.ID)
}
