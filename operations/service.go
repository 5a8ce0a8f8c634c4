// Package operations starts and cancels operations. An operation is a row in the inventory
// plus the Temporal workflow that does the work; this package keeps the two together:
// a target has at most one running operation, and a start that fails leaves no row.
package operations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/workflows"
)

// Service starts operations.
type Service struct {
	Store    *inventory.Store
	Temporal client.Client
	Logger   *slog.Logger
	// StaleAfter is how old a Pending operation whose workflow never started must be before
	// a new request may replace it (the process died between recording and starting).
	StaleAfter time.Duration
	// Failures decodes the failures in workflow histories (their messages are encrypted);
	// without it only their plain message is read.
	Failures converter.FailureConverter
	// Payloads decodes workflow memos (encrypted like every payload), to tell which
	// operation a run serves.
	Payloads converter.DataConverter
	// Released, if set, counts each operation the reconcile or an abandon ended, by
	// why (the Release constants).
	Released func(why string)
	// StuckAttempts is the attempt of a pending workflow task from which a run counts as
	// stuck, failing its workflow tasks for ever (default DefaultStuckAttempts).
	StuckAttempts int32
}

// Start records op and starts workflow fn with the argument that input builds from the new
// operation's id. op.WorkflowID must come from the workflows package. It returns a
// *domain.BusyError when the target already has a running operation.
func (s *Service) Start(ctx context.Context, op domain.Operation, fn any, input func(operationID string) any) (domain.Operation, error) {
	return s.StartAfter(ctx, op, fn, input, nil)
}

// StartAfter is Start that runs prepare (when not nil) once the operation is recorded,
// and so its target reserved (a second request is a *domain.BusyError), before its
// workflow starts: a change the workflow must see. When prepare fails, the operation is
// removed and prepare's error returned.
func (s *Service) StartAfter(ctx context.Context, op domain.Operation, fn any, input func(operationID string) any, prepare func(ctx context.Context) error) (domain.Operation, error) {
	created, err := s.Store.CreateOperation(ctx, op)
	var busy *domain.BusyError
	if errors.As(err, &busy) && s.reapStale(ctx, op.WorkflowID) {
		created, err = s.Store.CreateOperation(ctx, op)
	}
	if err != nil {
		return created, err
	}
	if prepare != nil {
		if err := prepare(ctx); err != nil {
			if derr := s.Store.DeleteOperation(context.WithoutCancel(ctx), created.ID); derr != nil {
				s.Logger.Error("remove operation whose preparation failed", "operation", created.ID, "error", derr)
			}
			return created, err
		}
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       op.WorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		Memo:                     map[string]any{"operation": created.ID},
	}, fn, input(created.ID))
	if err != nil {
		if derr := s.Store.DeleteOperation(context.WithoutCancel(ctx), created.ID); derr != nil {
			s.Logger.Error("remove operation whose workflow did not start", "operation", created.ID, "error", derr)
		}
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return created, &domain.BusyError{Target: op.Target.Kind + " " + op.Target.Name, Operation: "(workflow " + op.WorkflowID + ")"}
		}
		return created, fmt.Errorf("start workflow %s: %w", op.WorkflowID, err)
	}
	if err := s.Store.MarkOperationStarted(ctx, created.ID, run.GetRunID()); err != nil {
		s.Logger.Warn("record operation run", "operation", created.ID, "error", err)
	}
	return s.Store.GetOperation(ctx, created.ID)
}

// reapStale fails a Pending operation of workflowID whose workflow is not running and that
// is older than StaleAfter, and reports whether it did.
func (s *Service) reapStale(ctx context.Context, workflowID string) bool {
	running, err := s.Store.RunningOperation(ctx, workflowID)
	if err != nil || running.State != domain.OpPending || time.Since(running.CreatedAt) < s.staleAfter() {
		return false
	}
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return false
	}
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return false
	}
	if err := s.Store.FinishOperation(ctx, running.ID, domain.OpFailed, "the workflow never started"); err != nil {
		s.Logger.Warn("reap stale operation", "operation", running.ID, "error", err)
		return false
	}
	s.Logger.Info("reaped an operation whose workflow never started", "operation", running.ID)
	return true
}

func (s *Service) staleAfter() time.Duration {
	if s.StaleAfter > 0 {
		return s.StaleAfter
	}
	return time.Minute
}

// Cancel asks the workflow of a running or waiting operation to stop; it compensates
// and the operation ends Canceled. Canceling an operation that has ended is
// domain.ErrConflict.
func (s *Service) Cancel(ctx context.Context, op domain.Operation) error {
	if !domain.OperationActive(op.State) {
		return fmt.Errorf("operation %s is %s: %w", op.ID, op.State, domain.ErrConflict)
	}
	if err := s.Temporal.CancelWorkflow(ctx, op.WorkflowID, op.RunID); err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return fmt.Errorf("workflow of operation %s: %w", op.ID, domain.ErrNotFound)
		}
		return fmt.Errorf("cancel workflow of operation %s: %w", op.ID, err)
	}
	return nil
}

// decisionWait bounds how long Retry waits for a worker to take the decision.
const decisionWait = 20 * time.Second

// Retry asks the workflow of an operation AwaitingDecision to run its failed step again,
// as actor decided, and returns the run it starts once the workflow has accepted it. An
// operation that does not wait is a *domain.NotAwaitingError, checked again by the
// workflow itself (the Update's validator) so that two retries never both pass; no worker
// taking the decision in time is domain.ErrUnavailable.
func (s *Service) Retry(ctx context.Context, op domain.Operation, actor string) (workflows.RetryResult, error) {
	var res workflows.RetryResult
	if op.State != domain.OpAwaitingDecision {
		return res, &domain.NotAwaitingError{Operation: op.ID, Reason: "it is " + op.State}
	}
	ctx, cancel := context.WithTimeout(ctx, decisionWait)
	defer cancel()
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: op.WorkflowID, RunID: op.RunID, UpdateName: workflows.UpdateRetry,
		Args: []any{workflows.RetryRequest{Actor: actor}}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	return res, s.retryError(ctx, op, err)
}

// retryError classifies the error of a retry Update.
func (s *Service) retryError(ctx context.Context, op domain.Operation, err error) error {
	var app *temporal.ApplicationError
	var nf *serviceerror.NotFound
	var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &app): // refused by the workflow's validator
		return &domain.NotAwaitingError{Operation: op.ID, Reason: app.Message()}
	case errors.As(err, &nf):
		return &domain.NotAwaitingError{Operation: op.ID, Reason: "its workflow has ended"}
	case errors.As(err, &timeout) || ctx.Err() != nil:
		return fmt.Errorf("retry operation %s: no worker took the decision in %s: %w", op.ID, decisionWait, domain.ErrUnavailable)
	}
	return fmt.Errorf("retry operation %s: %w", op.ID, err)
}
