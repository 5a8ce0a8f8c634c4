package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/operations"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// alwaysPanics is a workflow registered by this test only: its every workflow task
// panics, as code that is not deterministic any more or has a bug would.
func alwaysPanics(ctx workflow.Context, operationID string) error {
	panic("test: this workflow always panics")
}

// released reads clusterwright_operations_released_total{reason}.
func released(env *apptest.Env, reason string) float64 {
	return testutil.ToFloat64(env.App.Metrics.OperationsReleased.WithLabelValues(reason))
}

// waitReleased polls the operation until it has ended, failing the test after a minute.
func waitReleased(t *testing.T, env *apptest.Env, id string) domain.Operation {
	t.Helper()
	return env.WaitOperationEnd(id, time.Minute)
}

// TestReconcileFreesLockedTargets: no cluster is locked for ever. Provisions whose
// control-plane clone fails stop AwaitingDecision (their cluster answers 409 to a new
// request). Abandoning one whose workflow runs is refused with a hint to cancel it; only
// an admin may abandon. The first's workflow is terminated by hand with the Temporal
// client: within a minute the reconcile marks its operation Failed with the termination
// reason, its cluster Failed with why, and the cluster takes a deletion (202, not 409).
// The second is abandoned with force: Failed, "abandoned by admin", audited, the cluster
// free. A workflow whose every task panics is found stuck, terminated, its operation
// Failed with the panic, and its vCenter takes a new sync.
func TestReconcileFreesLockedTargets(t *testing.T) {
	t.Parallel() // its own vCenter, Temporal and database
	faults := sim.NewFaults()
	env := apptest.StartWith(t, apptest.Options{
		VCenter:      sim.VCenterOptions{Faults: faults},
		Interceptors: []interceptor.WorkerInterceptor{apptest.FastRetries()},
		Config: func(c *app.Config) {
			c.ReconcileInterval, c.ReconcileGrace, c.StuckWorkflowAttempts = "500ms", "2s", "3"
		},
		Setup: func(a *app.App) { a.Workflows = append(a.Workflows, alwaysPanics) },
	})
	apptest.RegisterLab(t, env, "93")
	ctx := context.Background()

	start := func(name string) domain.Operation {
		spec := apptest.ClusterSpec(name, 1, 0)
		spec.WorkerPools, spec.Addons.KubeSphere = nil, nil
		if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, VM: domain.PlanNodes(spec)[0].Name}); err != nil {
			t.Fatal(err)
		}
		return apptest.AwaitDecision(t, env, apptest.StartProvision(t, env, spec).ID, workflows.StepCreateControlPlane)
	}
	locked, forced := start("locked"), start("forced")

	// A waiting operation holds its cluster; abandoning it while its workflow runs is
	// refused, and only an admin may.
	if r := env.Do("DELETE", "/api/v1/clusters/locked", env.AdminToken, nil); r.Status != http.StatusConflict {
		t.Fatalf("DELETE of a busy cluster = %d %s, want 409", r.Status, r.Body)
	}
	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleOperator} {
		if r := env.Do("POST", "/api/v1/operations/"+locked.ID+"/abandon", env.Token("t-"+string(role), role), nil); r.Status != http.StatusForbidden {
			t.Errorf("abandon as %s = %d %s, want 403", role, r.Status, r.Body)
		}
	}
	r := env.Do("POST", "/api/v1/operations/"+locked.ID+"/abandon", env.AdminToken, nil)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "cancel") || !strings.Contains(string(r.Body), "force=true") {
		t.Fatalf("abandon of a running workflow = %d %s, want 409 saying to cancel", r.Status, r.Body)
	}
	if r := env.Do("POST", "/api/v1/operations/"+locked.ID+"/abandon?force=maybe", env.AdminToken, nil); r.Status != http.StatusBadRequest {
		t.Errorf("abandon ?force=maybe = %d %s, want 400", r.Status, r.Body)
	}

	// Terminated by hand: the reconcile frees the cluster within a minute.
	terminated := time.Now()
	if err := env.App.Temporal.TerminateWorkflow(ctx, locked.WorkflowID, locked.RunID, "stopped by hand in a test"); err != nil {
		t.Fatal(err)
	}
	op := waitReleased(t, env, locked.ID)
	t.Logf("released %s after the termination", time.Since(terminated).Round(100*time.Millisecond))
	if op.State != domain.OpFailed || op.Error != "workflow terminated: stopped by hand in a test" {
		t.Fatalf("terminated operation = %s %q, want Failed with the termination reason", op.State, op.Error)
	}
	for _, st := range op.Steps {
		if st.FinishedAt == nil || st.State == domain.StepRunning {
			t.Errorf("step %s left %s", st.Name, st.State)
		}
	}
	c := apptest.GetCluster(t, env, "locked")
	if c.Phase != domain.PhaseFailed || !strings.Contains(c.PhaseReason, "stopped by hand in a test") || c.Operation != nil {
		t.Errorf("cluster after the release = %s (%s), operation %+v; want Failed, free", c.Phase, c.PhaseReason, c.Operation)
	}
	if got := released(env, operations.ReleaseClosed); got != 1 {
		t.Errorf("released closed = %v, want 1", got)
	}
	r = env.Do("DELETE", "/api/v1/clusters/locked", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("DELETE of the freed cluster = %d %s, want 202", r.Status, r.Body)
	}
	var deletion struct{ Operation domain.Operation }
	r.JSON(t, &deletion)
	if del := env.WaitOperationEnd(deletion.Operation.ID, 2*time.Minute); del.State != domain.OpSucceeded {
		t.Errorf("deletion of the freed cluster = %s: %s", del.State, del.Error)
	}

	// Abandoned with force: terminated, Failed, audited, the cluster free.
	r = env.Do("POST", "/api/v1/operations/"+forced.ID+"/abandon?force=true", env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("abandon ?force=true = %d %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	if reply.Operation.State != domain.OpFailed || !strings.HasPrefix(reply.Operation.Error, "abandoned by admin") {
		t.Errorf("abandoned operation = %s %q", reply.Operation.State, reply.Operation.Error)
	}
	desc, err := env.App.Temporal.DescribeWorkflowExecution(ctx, forced.WorkflowID, forced.RunID)
	if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		t.Errorf("workflow of the abandoned operation: %v %v, want terminated", desc.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	if c := apptest.GetCluster(t, env, "forced"); c.Phase != domain.PhaseFailed || c.Operation != nil {
		t.Errorf("cluster after the abandon = %s, operation %+v", c.Phase, c.Operation)
	}
	if r := env.Do("POST", "/api/v1/operations/"+forced.ID+"/abandon", env.AdminToken, nil); r.Status != http.StatusConflict {
		t.Errorf("second abandon = %d %s, want 409", r.Status, r.Body)
	}
	events, _, err := env.App.Store.ListAudit(ctx, inventory.AuditFilter{Action: "operation.abandon"}, inventory.Page{})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[int]int{}
	for _, e := range events {
		outcomes[e.Status]++
	}
	if outcomes[http.StatusOK] != 1 || outcomes[http.StatusConflict] != 2 || outcomes[http.StatusForbidden] != 2 {
		t.Errorf("audit of operation.abandon by status = %v, want one 200, two 409 and two 403", outcomes)
	}
	if got := released(env, operations.ReleaseAbandoned); got != 1 {
		t.Errorf("released abandoned = %v, want 1", got)
	}

	// A workflow failing its every task is stuck: terminated, its operation Failed.
	v, err := env.App.Store.GetVCenter(ctx, "vc1")
	if err != nil {
		t.Fatal(err)
	}
	stuck, err := env.App.Operations().Start(ctx, domain.Operation{Kind: domain.OpSyncInventory,
		Target: domain.Target{Kind: "vcenter", ID: v.ID, Name: v.Name}, Actor: "admin", WorkflowID: workflows.VCenterWorkflowID(v.ID)},
		alwaysPanics, func(id string) any { return id })
	if err != nil {
		t.Fatal(err)
	}
	if r := env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil); r.Status != http.StatusConflict {
		t.Fatalf("sync while the stuck one holds the vCenter = %d %s, want 409", r.Status, r.Body)
	}
	op = env.WaitOperationEnd(stuck.ID, 2*time.Minute)
	if op.State != domain.OpFailed || !strings.HasPrefix(op.Error, "workflow stuck: its workflow task failed") ||
		!strings.Contains(op.Error, "this workflow always panics") {
		t.Fatalf("stuck operation = %s %q", op.State, op.Error)
	}
	desc, err = env.App.Temporal.DescribeWorkflowExecution(ctx, stuck.WorkflowID, "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		t.Errorf("stuck workflow: %v %v, want terminated", desc.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	if got := released(env, operations.ReleaseStuck); got != 1 {
		t.Errorf("released stuck = %v, want 1", got)
	}
	r = env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("sync of the freed vCenter = %d %s, want 202", r.Status, r.Body)
	}
	var sync struct{ Operation domain.Operation }
	r.JSON(t, &sync)
	if op := env.WaitOperationEnd(sync.Operation.ID, 2*time.Minute); op.State != domain.OpSucceeded {
		t.Errorf("sync after the release = %s: %s", op.State, op.Error)
	}
}
