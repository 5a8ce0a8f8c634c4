package operations

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/clusterwright/clusterwright/domain"
)

// workflowState is what Temporal says of the workflow run of one operation.
type workflowState struct {
	// found is false when Temporal knows no run of the operation: it never started, or
	// its history is gone.
	found   bool
	runID   string
	status  enumspb.WorkflowExecutionStatus
	closeAt time.Time
	// taskAttempt is the attempt of the run's pending workflow task (0: none): a
	// workflow whose code panics or is not deterministic fails its tasks for ever.
	taskAttempt int32
}

// running reports whether the run has not closed.
func (w workflowState) running() bool {
	return w.found && w.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// describe finds the run of op: the recorded one, its successor when it continued as
// new, or, when no run was recorded, the workflow id's latest run provided that it
// started after the operation was recorded (an earlier one served an earlier operation).
func (s *Service) describe(ctx context.Context, op domain.Operation) (workflowState, error) {
	runID := op.RunID
	for range 3 { // the recorded run, then at most two successors
		desc, err := s.Temporal.DescribeWorkflowExecution(ctx, op.WorkflowID, runID)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return workflowState{}, nil
		}
		if err != nil {
			return workflowState{}, fmt.Errorf("describe workflow %s of operation %s: %w", op.WorkflowID, op.ID, err)
		}
		info := desc.GetWorkflowExecutionInfo()
		if runID == "" && !s.serves(info.GetMemo().GetFields()["operation"], info.GetStartTime().AsTime(), op) {
			return workflowState{}, nil // the latest run served an earlier operation
		}
		st := workflowState{found: true, runID: info.GetExecution().GetRunId(), status: info.GetStatus(),
			taskAttempt: desc.GetPendingWorkflowTask().GetAttempt()}
		if info.GetCloseTime() != nil {
			st.closeAt = info.GetCloseTime().AsTime()
		}
		if st.status != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
			return st, nil
		}
		runID = "" // the latest run of the id is the successor
	}
	return workflowState{}, fmt.Errorf("workflow %s of operation %s: continued as new again and again", op.WorkflowID, op.ID)
}

// serves reports whether the run whose memo field "operation" is memo and that started
// at start is the run of op: the memo names the operation (Start puts it there); without
// a converter to read it, a run that started before op was recorded is not op's.
func (s *Service) serves(memo *commonpb.Payload, start time.Time, op domain.Operation) bool {
	if s.Payloads != nil && memo != nil {
		var id string
		if err := s.Payloads.FromPayload(memo, &id); err == nil {
			return id == op.ID
		}
	}
	return !start.Before(op.CreatedAt.Add(-clockSkew))
}

// clockSkew is how far apart the clocks of Postgres and Temporal may be.
const clockSkew = 5 * time.Second

// closeReason says, for a person, how a closed run ended: the failure of a failed run,
// the reason given to a termination.
func (s *Service) closeReason(ctx context.Context, workflowID string, st workflowState) string {
	what := "workflow " + statusWord(st.status)
	iter := s.Temporal.GetWorkflowHistory(ctx, workflowID, st.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			s.Logger.Warn("read the close event of a workflow", "workflow", workflowID, "error", err)
			return what
		}
		switch {
		case ev.GetWorkflowExecutionTerminatedEventAttributes() != nil:
			if r := ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason(); r != "" {
				return what + ": " + r
			}
		case ev.GetWorkflowExecutionFailedEventAttributes() != nil:
			if m := s.failureMessage(ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()); m != "" {
				return what + ": " + m
			}
		}
	}
	return what
}

// taskFailure is the failure of the last failed workflow task of a running run, as a
// person reads it; empty when the history has none.
func (s *Service) taskFailure(ctx context.Context, workflowID, runID string) string {
	var last *historypb.HistoryEvent
	iter := s.Temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			s.Logger.Warn("read the history of a stuck workflow", "workflow", workflowID, "error", err)
			break
		}
		if ev.GetWorkflowTaskFailedEventAttributes() != nil {
			last = ev
		}
	}
	if last == nil {
		return ""
	}
	return s.failureMessage(last.GetWorkflowTaskFailedEventAttributes().GetFailure())
}

// failureMessage decodes a failure (its message is encrypted by the payload codec) to
// its message.
func (s *Service) failureMessage(f *failurepb.Failure) string {
	if f == nil {
		return ""
	}
	if s.Failures != nil {
		if err := s.Failures.FailureToError(f); err != nil {
			return err.Error()
		}
	}
	return f.GetMessage()
}

// statusWord is a closed run's status as the reason of a released operation says it.
func statusWord(st enumspb.WorkflowExecutionStatus) string {
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed out"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued as new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	}
	return "closed"
}

// terminate ends a running run with reason; a run that has closed meanwhile is fine.
func (s *Service) terminate(ctx context.Context, workflowID, runID, reason string) error {
	err := s.Temporal.TerminateWorkflow(ctx, workflowID, runID, reason)
	var nf *serviceerror.NotFound
	if err == nil || errors.As(err, &nf) {
		return nil
	}
	return fmt.Errorf("terminate workflow %s: %w", workflowID, err)
}
