package app_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/schedules"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/operations"
	"github.com/clusterwright/clusterwright/workflows"
)

// testCheckKind is the operation kind of the test's schedule kind.
const testCheckKind = "cluster.test-certificate-check"

// testCertificateCheck is the workflow of the test's schedule kind: it records its
// operation Running, then Succeeded.
func testCertificateCheck(ctx workflow.Context, operationID string) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 15 * time.Second})
	var records *invacts.Activities
	if err := workflow.ExecuteLocalActivity(ctx, records.BeginOperation, operationID).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteLocalActivity(ctx, records.FinishOperation,
		invacts.OperationUpdate{OperationID: operationID, State: domain.OpSucceeded}).Get(ctx, nil)
}

// registerTestCheck registers certificate-check as the test's kind, as the app will
// register the real one.
func registerTestCheck(a *app.App) {
	a.Workflows = append(a.Workflows, testCertificateCheck)
	a.Schedules.Register(domain.ScheduleCertificateCheck,
		func(ctx context.Context, ops *operations.Service, op domain.Operation, _ domain.ScheduleParams) (domain.Operation, error) {
			op.Kind = testCheckKind
			return ops.Start(ctx, op, testCertificateCheck, func(id string) any { return id })
		})
}

// TestScheduleMachinery runs a "*" schedule of a test kind on real Temporal Schedules:
// a triggered run fans out to the two Ready clusters, one of them busy, and records one
// success and one skip; pause shows in Temporal; the reconcile heals drift; delete
// removes both the record and the Temporal schedule.
func TestScheduleMachinery(t *testing.T) {
	// Every kind is registered; backup is taken away to see an unregistered kind refused.
	env := apptest.StartWith(t, apptest.Options{Setup: func(a *app.App) {
		registerTestCheck(a)
		a.Schedules.Register(domain.ScheduleBackup, nil)
	}})
	ctx := context.Background()
	store := env.App.Store
	operator, viewer := env.Token("op", domain.RoleOperator), env.Token("view", domain.RoleViewer)

	// Three clusters recorded directly: alpha and beta Ready (beta busy), gamma not Ready.
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	if err := vin.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	clusters := map[string]domain.Cluster{}
	for i, name := range []string{"alpha", "beta", "gamma"} {
		octet := string(rune('1' + i))
		c, err := store.CreateCluster(ctx, domain.ClusterSpec{Name: name, VCenter: "vc1",
			Network: domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.1" + octet + ".0.0/16", ServiceCIDR: "10.9" + octet + ".0.0/16"}}, "alice")
		if err != nil {
			t.Fatal(err)
		}
		phase := domain.PhaseReady
		if name == "gamma" {
			phase = domain.PhaseProvisioning
		}
		if err := store.SetClusterPhase(ctx, c.ID, phase, ""); err != nil {
			t.Fatal(err)
		}
		clusters[name] = c
	}
	busy, err := store.CreateOperation(ctx, domain.Operation{Kind: domain.OpDeleteCluster, Actor: schedules.Actor("earlier"),
		Target:     domain.Target{Kind: "cluster", ID: clusters["beta"].ID, Name: "beta"},
		WorkflowID: workflows.ClusterWorkflowID(clusters["beta"].ID)})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MarkOperationStarted(ctx, busy.ID, "run-of-another-operation"); err != nil {
		t.Fatal(err)
	}

	// Bad requests: 400 on the request alone, 422 against this server and the inventory.
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"kind": "certificate-check", "cluster": "*", "every": "30s"}, http.StatusBadRequest, "every"},
		{map[string]any{"kind": "certificate-check", "cluster": "*", "cron": "0 3 * *"}, http.StatusBadRequest, "cron"},
		{map[string]any{"kind": "backup", "cluster": "*", "every": "1h"}, http.StatusUnprocessableEntity, "kind"},
		{map[string]any{"kind": "certificate-check", "cluster": "nope", "every": "1h"}, http.StatusUnprocessableEntity, "cluster"},
	} {
		r := env.Do("POST", "/api/v1/schedules", operator, c.body)
		if r.Status != c.status || !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
			t.Errorf("POST %v: %d %s; want %d naming %s", c.body, r.Status, r.Body, c.status, c.field)
		}
	}
	if r := env.Do("POST", "/api/v1/schedules", viewer, map[string]any{"kind": "certificate-check", "cluster": "*", "every": "1h"}); r.Status != http.StatusForbidden {
		t.Errorf("a viewer created a schedule: %d %s", r.Status, r.Body)
	}
	if all, err := store.AllSchedules(ctx); err != nil || len(all) != 0 {
		t.Fatalf("refused requests left schedules: %v, %v", all, err)
	}
	// An unregistered kind is refused by the starter too (a record made before the kind
	// was dropped from a server).
	_, err = env.App.Schedules.StartScheduled(ctx, schedules.StartRequest{ScheduleID: "x", Kind: domain.ScheduleBackup, Cluster: clusters["alpha"]})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != schedules.ErrTypeUnknownKind {
		t.Errorf("start of an unregistered kind: %v", err)
	}

	// Create: the row, and a Temporal schedule with its next run.
	r := env.Do("POST", "/api/v1/schedules", operator, map[string]any{"kind": "certificate-check", "cluster": "*", "every": "1m"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create schedule: %d %s", r.Status, r.Body)
	}
	var sc domain.Schedule
	r.JSON(t, &sc)
	if sc.ID == "" || sc.CreatedBy != "op" || sc.Overlap != domain.OverlapSkip || len(sc.NextRuns) == 0 ||
		r.Header.Get("Location") != "/api/v1/schedules/"+sc.ID {
		t.Fatalf("created %+v (Location %s)", sc, r.Header.Get("Location"))
	}
	handle := env.App.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(sc.ID))
	desc, err := handle.Describe(ctx)
	if err != nil || desc.Schedule.State.Paused || desc.Schedule.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Fatalf("Temporal schedule: %+v, %v", desc, err)
	}

	// Trigger: a run on alpha and beta (gamma is not Ready); beta is busy.
	run := apptest.TriggerSchedule(t, env, operator, sc.ID)
	if run.Outcome != domain.RunSucceeded || run.Counts != (domain.RunCounts{Succeeded: 1, Skipped: 1}) || len(run.Operations) != 1 {
		t.Fatalf("last run = %+v", run)
	}
	for _, target := range run.Targets {
		switch target.Cluster {
		case "alpha":
			if target.Outcome != domain.RunSucceeded || target.Operation != run.Operations[0] {
				t.Errorf("alpha: %+v", target)
			}
		case "beta":
			if target.Outcome != domain.RunSkipped || !strings.Contains(target.Reason, busy.ID) {
				t.Errorf("beta: %+v, want skipped as busy with %s", target, busy.ID)
			}
		default:
			t.Errorf("the run worked on %+v", target)
		}
	}
	op, err := store.GetOperation(ctx, run.Operations[0])
	if err != nil || op.Kind != testCheckKind || op.Target.Name != "alpha" || op.State != domain.OpSucceeded ||
		op.Actor != schedules.Actor(sc.ID) || op.OnFailure != domain.OnFailureCompensate {
		t.Fatalf("the run's operation: %+v, %v", op, err)
	}
	checkRunReplays(t, env, handle)
	if n := testutil.ToFloat64(env.App.Metrics.ScheduledRuns.WithLabelValues(domain.ScheduleCertificateCheck, domain.RunSucceeded)); n < 1 {
		t.Errorf("scheduled runs metric = %v", n)
	}

	// A start whose cluster is busy with the schedule's own operation (an earlier attempt
	// started it and its result was lost) follows that operation instead of skipping.
	acts := &schedules.Activities{Store: store, Starter: env.App.Schedules}
	beta := schedules.Target{ID: clusters["beta"].ID, Name: "beta"}
	started, err := acts.StartOperation(ctx, schedules.StartInput{ScheduleID: "earlier", Kind: domain.ScheduleCertificateCheck, Cluster: beta})
	if err != nil || started.OperationID != busy.ID || started.Skipped != "" {
		t.Errorf("start on a cluster busy with the schedule's own operation: %+v, %v", started, err)
	}
	started, err = acts.StartOperation(ctx, schedules.StartInput{ScheduleID: sc.ID, Kind: domain.ScheduleCertificateCheck,
		Cluster: schedules.Target{ID: clusters["gamma"].ID, Name: "gamma"}})
	if err != nil || started.Skipped != "cluster is Provisioning" {
		t.Errorf("start on a cluster that is not Ready: %+v, %v", started, err)
	}

	// List shows the schedule with its next and last run.
	var list struct{ Items []domain.Schedule }
	env.Do("GET", "/api/v1/schedules?kind=certificate-check", viewer, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != sc.ID || list.Items[0].LastRun == nil || len(list.Items[0].NextRuns) == 0 {
		t.Fatalf("list = %+v", list)
	}

	// Pause: in the record and in Temporal; no next runs.
	if r := env.Do("POST", "/api/v1/schedules/"+sc.ID+"/pause", viewer, nil); r.Status != http.StatusForbidden {
		t.Errorf("a viewer paused: %d", r.Status)
	}
	r = env.Do("POST", "/api/v1/schedules/"+sc.ID+"/pause", operator, nil)
	var paused domain.Schedule
	r.JSON(t, &paused)
	if r.Status != http.StatusOK || !paused.Paused || len(paused.NextRuns) != 0 {
		t.Fatalf("pause: %d %+v", r.Status, paused)
	}
	if desc, err := handle.Describe(ctx); err != nil || !desc.Schedule.State.Paused {
		t.Fatalf("Temporal schedule after pause: %+v, %v", desc, err)
	}

	// Reconcile: a deleted Temporal schedule is created again (paused, as recorded); one
	// unpaused behind the service's back is paused again; one without a record goes.
	if err := handle.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := env.App.Schedules.Reconcile(ctx)
	if err != nil || !slices.Equal(res.Created, []string{sc.ID}) {
		t.Fatalf("reconcile after delete: %+v, %v", res, err)
	}
	if desc, err := handle.Describe(ctx); err != nil || !desc.Schedule.State.Paused {
		t.Fatalf("healed Temporal schedule: %+v, %v", desc, err)
	}
	if err := handle.Unpause(ctx, client.ScheduleUnpauseOptions{}); err != nil {
		t.Fatal(err)
	}
	orphan := workflows.ScheduleID("00000000-0000-0000-0000-00000000beef")
	if _, err := env.App.Temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: orphan,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}}, Paused: true,
		Action: &client.ScheduleWorkflowAction{ID: "orphan", Workflow: workflows.ScheduledRun, TaskQueue: workflows.TaskQueue,
			Args: []any{workflows.ScheduledRunInput{ScheduleID: "gone", Kind: domain.ScheduleCertificateCheck, Cluster: "*"}}}}); err != nil {
		t.Fatal(err)
	}
	res, err = env.App.Schedules.Reconcile(ctx)
	if err != nil || !slices.Equal(res.Paused, []string{sc.ID}) {
		t.Fatalf("reconcile after unpause: %+v, %v", res, err)
	}
	// Temporal lists schedules from its visibility store, which may lag a moment.
	for deadline := time.Now().Add(30 * time.Second); !slices.Contains(res.Deleted, orphan); {
		if time.Now().After(deadline) {
			t.Fatalf("the reconcile never deleted the orphan Temporal schedule: %+v", res)
		}
		time.Sleep(500 * time.Millisecond)
		if res, err = env.App.Schedules.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.App.Temporal.ScheduleClient().GetHandle(ctx, orphan).Describe(ctx); !apptest.TemporalNotFound(err) {
		t.Fatalf("orphan after reconcile: %v", err)
	}

	// Delete: the record and the Temporal schedule.
	if r := env.Do("DELETE", "/api/v1/schedules/"+sc.ID, operator, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := env.Do("GET", "/api/v1/schedules/"+sc.ID, viewer, nil); r.Status != http.StatusNotFound {
		t.Fatalf("get after delete: %d", r.Status)
	}
	if _, err := handle.Describe(ctx); !apptest.TemporalNotFound(err) {
		t.Fatalf("Temporal schedule after delete: %v", err)
	}

	// A cluster's schedules go with it ("*" ones stay).
	mine := env.Do("POST", "/api/v1/schedules", operator, map[string]any{"kind": "certificate-check", "cluster": "alpha", "cron": "0 3 * * *"})
	star := env.Do("POST", "/api/v1/schedules", operator, map[string]any{"kind": "certificate-check", "cluster": "*", "every": "1h", "paused": true})
	if mine.Status != http.StatusCreated || star.Status != http.StatusCreated {
		t.Fatalf("create: %d %s, %d %s", mine.Status, mine.Body, star.Status, star.Body)
	}
	ids, err := env.App.Schedules.DeleteClusterSchedules(ctx, "alpha")
	if err != nil || len(ids) != 1 {
		t.Fatalf("delete alpha's schedules: %v, %v", ids, err)
	}
	if left, err := store.AllSchedules(ctx); err != nil || len(left) != 1 || left[0].Cluster != "*" {
		t.Fatalf("schedules left: %+v, %v", left, err)
	}
}

// checkRunReplays waits for the schedule's first run to end and replays its history
// against this code (recorded as workflows/testdata/histories/scheduled-run.json with
// apptest.RecordHistoriesEnv set).
func checkRunReplays(t *testing.T, env *apptest.Env, handle client.ScheduleHandle) {
	t.Helper()
	ctx := context.Background()
	desc, err := handle.Describe(ctx)
	if err != nil || len(desc.Info.RecentActions) == 0 || desc.Info.RecentActions[0].StartWorkflowResult == nil {
		t.Fatalf("the schedule's recent actions: %+v, %v", desc, err)
	}
	run := desc.Info.RecentActions[0].StartWorkflowResult
	if err := env.App.Temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, nil); err != nil {
		t.Fatalf("scheduled run %s: %v", run.WorkflowID, err)
	}
	env.CheckReplay("scheduled-run", domain.Operation{ID: run.WorkflowID, WorkflowID: run.WorkflowID, RunID: run.FirstExecutionRunID})
}
