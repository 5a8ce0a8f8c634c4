package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/steptrack"
)

// records is the activities handle used to name inventory activities; it is never called.
var records *invacts.Activities

// operation keeps the inventory's record of one operation current: its state and each
// step with its attempts and errors. Every workflow that serves an operation uses one.
type operation struct {
	id string
}

// recordCtx runs the short record-keeping local activities.
func recordCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
	})
}

// begin marks the operation Running.
func (o operation) begin(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(recordCtx(ctx), records.BeginOperation, o.id).Get(ctx, nil)
}

// step runs fn as the named step: the step is recorded Running, then Succeeded or Failed
// with the error. Activities that fn starts from the context it is given are tied to the
// step, so each of their attempts is counted.
func (o operation) step(ctx workflow.Context, name string, fn func(ctx workflow.Context) error) error {
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), records.StartStep, invacts.StepUpdate{OperationID: o.id, Step: name}).Get(ctx, nil); err != nil {
		return err
	}
	err := fn(steptrack.WithStep(ctx, steptrack.Ref{OperationID: o.id, Step: name}))
	state, reason := domain.StepSucceeded, ""
	if err != nil {
		state, reason = stateOf(err), message(err)
	}
	// Record the outcome even when the workflow is being canceled.
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if rerr := workflow.ExecuteLocalActivity(recordCtx(dctx), records.FinishStep,
		invacts.StepUpdate{OperationID: o.id, Step: name, State: state, Error: reason}).Get(dctx, nil); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// namedStep is a step to run with operation.steps.
type namedStep struct {
	name string
	fn   func(ctx workflow.Context) error
}

// steps runs the steps in order and stops at the first that fails.
func (o operation) steps(ctx workflow.Context, steps []namedStep) error {
	for _, s := range steps {
		if err := o.step(ctx, s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// finish records the end of the operation from the workflow's final error.
func (o operation) finish(ctx workflow.Context, err error) error {
	state, reason := domain.OpSucceeded, ""
	if err != nil {
		state, reason = stateOf(err), message(err)
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	return workflow.ExecuteLocalActivity(recordCtx(dctx), records.FinishOperation,
		invacts.OperationUpdate{OperationID: o.id, State: state, Error: reason}).Get(dctx, nil)
}

// stateOf maps a workflow or activity error to Failed or Canceled.
func stateOf(err error) string {
	if temporal.IsCanceledError(err) {
		return domain.OpCanceled
	}
	return domain.OpFailed
}

// message is the innermost human-readable cause of err: the application error's own
// message rather than Temporal's "activity error (type: ..., scheduledEventID: ...)" wrapping.
func message(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "canceled"
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return timeout.Error()
	}
	return err.Error()
}
