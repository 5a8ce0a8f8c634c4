// Package inventory holds the activities that keep the inventory's operation records and
// resource state current while workflows run. Workflows call them as local activities:
// they are short database writes, each idempotent.
package inventory

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/clusterwright/clusterwright/inventory"
)

// Activities writes to the inventory on behalf of workflows.
type Activities struct {
	Store *inventory.Store
}

// StepUpdate is a change of one step of one operation.
type StepUpdate struct {
	OperationID string
	Step        string
	State       string // for FinishStep
	Error       string
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

// StartStep marks a step Running.
func (a *Activities) StartStep(ctx context.Context, u StepUpdate) error {
	return a.Store.StartStep(ctx, u.OperationID, u.Step)
}

// FinishStep records how a step ended.
func (a *Activities) FinishStep(ctx context.Context, u StepUpdate) error {
	return a.Store.FinishStep(ctx, u.OperationID, u.Step, u.State, u.Error)
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
