package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/activities/backups"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/steptrack"
)

// records is the activities handle used to name inventory activities; it is never called.
var records *invacts.Activities

// UpdateRetry is the name of the Temporal Update that retries the failed step of an
// operation AwaitingDecision. Its validator refuses it, synchronously, when the
// operation does not wait; the caller gets a RetryResult once it is accepted.
const UpdateRetry = "retry"

// RetryRequest is the argument of UpdateRetry: who decided.
type RetryRequest struct {
	Actor string `json:"actor"`
}

// RetryResult is what an accepted retry starts: the step's next run.
type RetryResult struct {
	Step string `json:"step"`
	Run  int    `json:"run"`
}

// finalErrorTypes are the failures no retry can fix: preflight refused, credentials or
// certificates refused, a spec the cluster cannot take, a record gone. An operation
// that meets one ends at once, without waiting for a decision.
var finalErrorTypes = []string{
	vsphere.ErrTypePreflightFailed, vsphere.ErrTypeBadCredentials, vsphere.ErrTypeCertificate,
	vsphere.ErrTypeInvalidVMRequest, invacts.ErrTypeClusterNotFound,
	addons.ErrTypeInvalidValues, addons.ErrTypeUnknownAddon, addons.ErrTypeAddonDisabled,
	backups.ErrTypeRestoreRefused,
}

// operation is the shared step runner: it keeps the inventory's record of one operation
// current (its state, and each step with its runs, attempts and errors) and, when a step
// fails after its automatic retries, waits for a person's decision. Every workflow that
// serves an operation runs its steps through one.
type operation struct {
	id     string
	policy domain.FailurePolicy
	// waiting is the failed step's run while the operation waits for a decision.
	waiting *RetryResult
	// retriedBy is set by an accepted retry: who decided.
	retriedBy *RetryRequest
	// resumed is set once the record says Running again after a decision.
	resumed bool
}

func newOperation(id string, policy domain.FailurePolicy) *operation {
	return &operation{id: id, policy: policy}
}

// recordCtx runs the short record-keeping local activities.
func recordCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
	})
}

// begin takes retry decisions from now on and marks the operation Running.
func (o *operation) begin(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRetry, o.acceptRetry,
		workflow.UpdateHandlerOptions{Validator: o.validateRetry}); err != nil {
		return fmt.Errorf("retry handler: %w", err)
	}
	return workflow.ExecuteLocalActivity(recordCtx(ctx), records.BeginOperation, o.id).Get(ctx, nil)
}

// validateRetry admits a retry only while the operation waits for a decision nobody
// has taken yet.
func (o *operation) validateRetry(_ workflow.Context, req RetryRequest) error {
	switch {
	case o.waiting == nil:
		return errors.New("it is not waiting for one")
	case o.retriedBy != nil:
		return fmt.Errorf("%s retried it already", o.retriedBy.Actor)
	}
	return nil
}

// acceptRetry takes the decision to run the failed step again, and answers once the
// operation's record says it runs again.
func (o *operation) acceptRetry(ctx workflow.Context, req RetryRequest) (RetryResult, error) {
	o.retriedBy = &req
	res := RetryResult{Step: o.waiting.Step, Run: o.waiting.Run + 1}
	err := workflow.Await(ctx, func() bool { return o.resumed })
	return res, err
}

// step runs fn as the named step. When it fails after its automatic retries, the
// operation waits for a decision (see decide): a retry runs the step again as a new
// run, and the steps done stay done. Activities that fn starts from the context it is
// given are tied to the step's run, so each of their attempts is recorded.
func (o *operation) step(ctx workflow.Context, name string, fn func(ctx workflow.Context) error) error {
	actor := "" // the operation's actor starts the first run
	for run := 1; ; run++ {
		err := o.run(ctx, name, run, actor, fn)
		if err == nil {
			return nil
		}
		if actor, err = o.decide(ctx, name, run, err); err != nil {
			return err
		}
	}
}

// undo runs fn as a compensation step: once, never waiting for a decision.
func (o *operation) undo(ctx workflow.Context, name string, fn func(ctx workflow.Context) error) error {
	return o.run(ctx, name, 1, "", fn)
}

// run runs fn as run number run of the named step, recorded Running, then Succeeded or
// Failed with the error.
func (o *operation) run(ctx workflow.Context, name string, run int, actor string, fn func(ctx workflow.Context) error) error {
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), records.StartStep,
		invacts.StepUpdate{OperationID: o.id, Step: name, Run: run, Actor: actor}).Get(ctx, nil); err != nil {
		return err
	}
	err := fn(steptrack.WithStep(ctx, steptrack.Ref{OperationID: o.id, Step: name, Run: run}))
	state, reason := domain.StepSucceeded, ""
	var skipped *skippedStep
	switch {
	case errors.As(err, &skipped):
		state, reason, err = domain.StepSkipped, skipped.why, nil
	case err != nil:
		state, reason = stateOf(err), message(err)
	}
	// Record the outcome even when the workflow is being canceled.
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if rerr := workflow.ExecuteLocalActivity(recordCtx(dctx), records.FinishStep,
		invacts.StepUpdate{OperationID: o.id, Step: name, Run: run, State: state, Error: reason}).Get(dctx, nil); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// decide waits for a person's decision on the failed run of step name: the operation
// is AwaitingDecision until someone retries (decide returns who, and the step runs
// again), cancels (the cancellation is returned and the workflow compensates), or the
// decision timeout passes (an error saying so is returned: the workflow compensates).
// Failures no retry can fix, cancellations, and operations asked to compensate at once
// return failed without waiting.
func (o *operation) decide(ctx workflow.Context, name string, run int, failed error) (actor string, err error) {
	if !o.waitsAfter(ctx, failed) {
		return "", failed
	}
	timeout := o.policy.Timeout()
	reason := message(failed)
	// Waiting before the record says so: a retry that comes as soon as it does is taken.
	o.waiting, o.retriedBy, o.resumed = &RetryResult{Step: name, Run: run}, nil, false
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), records.AwaitDecision, invacts.DecisionWait{
		OperationID: o.id, Step: name, Reason: reason, Deadline: workflow.Now(ctx).Add(timeout),
	}).Get(ctx, nil); err != nil {
		o.waiting = nil
		return "", errors.Join(failed, err)
	}
	decided, werr := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return o.retriedBy != nil })
	o.waiting = nil
	// Running again: the step's next run, or the compensation.
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if err := workflow.ExecuteLocalActivity(recordCtx(dctx), records.ResumeOperation, o.id).Get(dctx, nil); err != nil {
		return "", errors.Join(failed, err)
	}
	o.resumed = true
	switch {
	case werr != nil: // canceled while waiting
		return "", werr
	case !decided:
		return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("step %s failed and no decision came within %s: %s",
			name, timeout, reason), ErrTypeNoDecision, nil)
	}
	return o.retriedBy.Actor, nil
}

// ErrTypeNoDecision is the error type of an operation whose failed step waited for a
// decision until its deadline.
const ErrTypeNoDecision = "NoDecision"

// waitsAfter reports whether the operation waits for a decision after a step failed with
// err.
func (o *operation) waitsAfter(ctx workflow.Context, err error) bool {
	if temporal.IsCanceledError(err) || !o.policy.Waits() {
		return false
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && slices.Contains(finalErrorTypes, app.Type()) {
		return false
	}
	// Operations that started before decisions existed compensate at once, as they did.
	return workflow.GetVersion(ctx, changeDecisionOnFailure, workflow.DefaultVersion, 1) >= 1
}

// skip is what a step returns when it has nothing to do: it is recorded Skipped, saying
// why, and the operation goes on.
func skip(why string) error { return &skippedStep{why: why} }

type skippedStep struct{ why string }

func (s *skippedStep) Error() string { return "skipped: " + s.why }

// namedStep is a step to run with operation.steps.
type namedStep struct {
	name string
	fn   func(ctx workflow.Context) error
}

// steps runs the steps in order and stops at the first that fails for good.
func (o *operation) steps(ctx workflow.Context, steps []namedStep) error {
	for _, s := range steps {
		if err := o.step(ctx, s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// finish records the end of the operation from the workflow's final error.
func (o *operation) finish(ctx workflow.Context, err error) error {
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

// message is err as a person reads it in a step or an operation: each message of its
// chain once, without Temporal's wrapping (see steptrack.ErrorMessage).
func message(err error) string { return steptrack.ErrorMessage(err) }
