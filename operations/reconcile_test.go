package operations

import (
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/clusterwright/clusterwright/domain"
)

// TestJudge: what the reconcile does with an active operation, from what Temporal says
// of its workflow: nothing while it runs or within the grace after it closed; Failed
// once closed (Succeeded when it completed normally), missing or stuck.
func TestJudge(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	grace := time.Minute
	old := domain.Operation{ID: "op", RunID: "run1", WorkflowID: "cluster/c1", UpdatedAt: now.Add(-time.Hour)}
	fresh := old
	fresh.UpdatedAt = now.Add(-time.Second)
	unstarted := old
	unstarted.RunID = ""
	closed := func(st enumspb.WorkflowExecutionStatus, ago time.Duration) workflowState {
		return workflowState{found: true, runID: "run1", status: st, closeAt: now.Add(-ago)}
	}
	running := func(attempt int32) workflowState {
		return workflowState{found: true, runID: "run1", status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, taskAttempt: attempt}
	}
	for _, c := range []struct {
		name   string
		op     domain.Operation
		st     workflowState
		want   verdict
		reason string // prefix of the reason
	}{
		{"running", old, running(1), verdict{}, ""},
		{"running, a few failed tasks", old, running(9), verdict{}, ""},
		{"stuck", old, running(10), verdict{release: true, state: domain.OpFailed, label: ReleaseStuck, terminate: true}, "workflow stuck: its workflow task failed 10 times"},
		{"terminated within the grace", old, closed(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, 30*time.Second), verdict{}, ""},
		{"terminated", old, closed(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, 2*time.Minute), verdict{release: true, state: domain.OpFailed, label: ReleaseClosed}, "workflow terminated"},
		{"timed out", old, closed(enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, 2*time.Minute), verdict{release: true, state: domain.OpFailed, label: ReleaseClosed}, "workflow timed out"},
		{"failed", old, closed(enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, 2*time.Minute), verdict{release: true, state: domain.OpFailed, label: ReleaseClosed}, "workflow failed"},
		{"completed", old, closed(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, 2*time.Minute), verdict{release: true, state: domain.OpSucceeded, label: ReleaseClosed}, ""},
		{"completed within the grace", old, closed(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, time.Second), verdict{}, ""},
		{"not found", old, workflowState{}, verdict{release: true, state: domain.OpFailed, label: ReleaseNotFound}, "workflow not found"},
		{"never started", unstarted, workflowState{}, verdict{release: true, state: domain.OpFailed, label: ReleaseNotFound}, "the workflow never started"},
		{"not found, just recorded", fresh, workflowState{}, verdict{}, ""},
	} {
		got := judge(c.op, c.st, now, grace, DefaultStuckAttempts)
		reason := got.reason
		got.reason = ""
		if got != c.want || !strings.HasPrefix(reason, c.reason) || (c.reason == "" && reason != "") {
			t.Errorf("%s: judge = %+v %q; want %+v %q", c.name, got, reason, c.want, c.reason)
		}
	}
}
