// Package inventory holds the activities that keep the inventory's operation records and
// resource state current while workflows run. Workflows call them as local activities:
// they are short database writes, each idempotent.
package inventory

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/clusterwright/clusterwright/inventory"
)

// Activities writes to the inventory on behalf of workflows.
type Activities struct {
	Store *inventory.Store
}

// StepUpdate is a change of one run of one step of one operation. Run numbers a step's
// runs from 1; histories recorded before runs existed carry 0, read as 1.
type StepUpdate struct {
	OperationID string
	Step        string
	Run         int    `json:",omitempty"`
	Actor       string `json:",omitempty"` // who started the run, for StartStep
	State       string // for FinishStep
	Error       string
}

// DecisionWait is an operation's wait for a person's decision on its failed step.
type DecisionWait struct {
	OperationID string
	Step        string
	Reason      string
	Deadline    time.Time
}

// OperationUpdate is the end of an operation.
type OperationUpdate struct {
	OperationID string
	State       string
	Error       string
}

// BeginOperation marks an operation Running and records the workflow run that does it.
func (a *Activities) BeginOperation(ctx context.Context, operationID string) error {
	runID := ""
	if activity.IsActivity(ctx) {
		runID = activity.GetInfo(ctx).WorkflowExecution.RunID
	}
	return a.Store.MarkOperationStarted(ctx, operationID, runID)
}

// StartStep marks a run of a step Running.
func (a *Activities) StartStep(ctx context.Context, u StepUpdate) error {
	return a.Store.StartStep(ctx, u.OperationID, u.Step, u.Run, u.Actor)
}

// FinishStep records how a run of a step ended.
func (a *Activities) FinishStep(ctx context.Context, u StepUpdate) error {
	return a.Store.FinishStep(ctx, u.OperationID, u.Step, u.Run, u.State, u.Error)
}

// AwaitDecision marks an operation AwaitingDecision on its failed step.
func (a *Activities) AwaitDecision(ctx context.Context, w DecisionWait) error {
	return a.Store.AwaitDecision(ctx, w.OperationID, w.Step, w.Reason, w.Deadline)
}

// ResumeOperation marks a waiting operation Running again: a person decided.
func (a *Activities) ResumeOperation(ctx context.Context, operationID string) error {
	return a.Store.ResumeOperation(ctx, operationID)
}

// FinishOperation records how an operation ended.
func (a *Activities) FinishOperation(ctx context.Context, u OperationUpdate) error {
	if u.State == "" {
		return fmt.Errorf("finish operation %s: no state", u.OperationID)
	}
	return a.Store.FinishOperation(ctx, u.OperationID, u.State, u.Error)
}

// RecordSyncError notes on the vCenter why its last inventory sync failed.
func (a *Activities) RecordSyncError(ctx context.Context, vcenterID, reason string) error {
	return a.Store.SetSyncError(ctx, vcenterID, reason)
}
