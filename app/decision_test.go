package app_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// retryOperation posts a retry and returns the reply.
func retryOperation(env *apptest.Env, id, token string) apptest.Response {
	return env.Do("POST", "/api/v1/operations/"+id+"/retry", token, nil)
}

// TestProvisionRetriedFromFailedStep fails every clone of the third VM: the provision
// stops AwaitingDecision at create-workers with the control plane up and the cluster
// saying which step waits and why. A retry while it runs, by a viewer, or after it ended
// is refused and changes nothing. The fault is cleared, the worker restarted while the
// operation waits, and a retry through the API completes it Ready: the steps before
// create-workers ran exactly once, create-workers shows the failed run and the retried
// one with who retried, and there is one VM per node. An event stream dropped midway and
// resumed with Last-Event-ID yields exactly the events of an unbroken one.
func TestProvisionRetriedFromFailedStep(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	faults := sim.NewFaults()
	spec := apptest.ClusterSpec("retried", 1, 2)
	third := domain.PlanNodes(spec)[2].Name
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, VM: third}); err != nil {
		t.Fatal(err)
	}
	env := apptest.StartDecisionDatacenter(t, "71", faults)
	op := apptest.StartProvision(t, env, spec)
	whole := followEvents(t, env, op.ID, 0)   // read to the end in one go
	dropped := followEvents(t, env, op.ID, 5) // dropped after 5 events, then resumed

	if r := retryOperation(env, op.ID, env.AdminToken); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "not-awaiting-decision") {
		t.Errorf("retry of a running operation = %d %s, want 409 not-awaiting-decision", r.Status, r.Body)
	}
	waiting := apptest.AwaitDecision(t, env, op.ID, workflows.StepCreateWorkers)
	for _, s := range []string{workflows.StepPreflight, workflows.StepAllocateAddresses, workflows.StepPrepareBootstrap,
		workflows.StepCreateControlPlane, workflows.StepWaitAPIServer} {
		if st := apptest.StepOf(t, waiting, s); st.State != domain.StepSucceeded {
			t.Errorf("step %s = %s before the failed step", s, st.State)
		}
	}
	failed := apptest.StepOf(t, waiting, workflows.StepCreateWorkers)
	if failed.State != domain.StepFailed || len(failed.Runs) != 1 || len(failed.Runs[0].Attempts) < 2 || failed.Error == "" {
		t.Fatalf("failed step = %+v", failed)
	}
	c := apptest.GetCluster(t, env, "retried")
	if c.Operation == nil || c.Operation.ID != op.ID || c.Operation.State != domain.OpAwaitingDecision ||
		c.Operation.Decision == nil || c.Operation.Decision.Step != workflows.StepCreateWorkers || c.Operation.Decision.Reason == "" {
		t.Errorf("the cluster does not say which operation waits, where and why: %+v", c.Operation)
	}
	if c.Phase != domain.PhaseProvisioning {
		t.Errorf("phase while waiting = %s", c.Phase)
	}
	// A second operation on the waiting cluster is refused, naming the waiting one.
	if r := env.Do("DELETE", "/api/v1/clusters/retried", env.AdminToken, nil); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), op.ID) {
		t.Errorf("DELETE while waiting = %d %s", r.Status, r.Body)
	}
	viewer := env.Token("viewer", domain.RoleViewer)
	if r := retryOperation(env, op.ID, viewer); r.Status != http.StatusForbidden {
		t.Errorf("viewer retry = %d", r.Status)
	}

	faults.Reset()
	env.StopWorker()
	env.StartWorker()
	operator := env.Token("olga", domain.RoleOperator)
	r := retryOperation(env, op.ID, operator)
	if r.Status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	if reply.Operation.State != domain.OpRunning || reply.Operation.Decision != nil {
		t.Errorf("retry reply = %s, decision %+v; want Running", reply.Operation.State, reply.Operation.Decision)
	}
	if r := retryOperation(env, op.ID, operator); r.Status != http.StatusConflict {
		t.Errorf("second retry = %d %s, want 409", r.Status, r.Body)
	}
	done := env.WaitOperationFor(op.ID, apptest.ProvisionTimeout)
	if done.State != domain.OpSucceeded {
		t.Fatalf("retried provision = %s: %s; steps %+v", done.State, done.Error, done.Steps)
	}
	for _, s := range []string{workflows.StepPreflight, workflows.StepAllocateAddresses, workflows.StepPrepareBootstrap,
		workflows.StepCreateControlPlane, workflows.StepWaitAPIServer} {
		if st := apptest.StepOf(t, done, s); len(st.Runs) != 1 || st.Attempts != 1 {
			t.Errorf("step %s ran %d times with %d attempts, want once", s, len(st.Runs), st.Attempts)
		}
	}
	workers := apptest.StepOf(t, done, workflows.StepCreateWorkers)
	if len(workers.Runs) != 2 {
		t.Fatalf("create-workers runs = %+v", workers.Runs)
	}
	first, second := workers.Runs[0], workers.Runs[1]
	if first.State != domain.StepFailed || first.Actor != "admin" || first.Error == "" {
		t.Errorf("first run = %+v", first)
	}
	for _, a := range first.Attempts {
		if a.State != domain.StepFailed || a.FinishedAt == nil {
			t.Errorf("attempt of the failed run = %+v", a)
		}
	}
	if second.State != domain.StepSucceeded || second.Actor != "olga" || second.StartedAt.Before(*first.FinishedAt) {
		t.Errorf("retried run = %+v", second)
	}
	c = apptest.GetCluster(t, env, "retried")
	if c.Phase != domain.PhaseReady || c.Operation != nil || len(c.Nodes) != 3 {
		t.Errorf("cluster after the retry = %s, operation %+v, %d nodes", c.Phase, c.Operation, len(c.Nodes))
	}
	checkVMs(t, env, c.ID, 3)
	if r := retryOperation(env, op.ID, operator); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "Succeeded") {
		t.Errorf("retry of a Succeeded operation = %d %s", r.Status, r.Body)
	}
	checkAudited(t, env, "operation.retry", "olga", "success")
	checkAudited(t, env, "operation.retry", "viewer", "denied")

	if got, want := <-dropped, <-whole; !slices.Equal(got, want) {
		t.Errorf("resumed stream:\n%s\nunbroken stream:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	} else if len(want) < 20 {
		t.Errorf("only %d events in a whole provision", len(want))
	}
	env.CheckReplay("provision-retried", done)
}

// TestDecisionCancelAndTimeout fails the control plane's clones: canceled while it waits,
// a provision compensates to zero VMs, leases and secrets, and a retry of it afterwards
// is 409; with a decision timeout of seconds it compensates by itself and says so; asked
// to compensate at once, it does not wait. A failure no retry can fix never waits.
func TestDecisionCancelAndTimeout(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	faults := sim.NewFaults()
	env := apptest.StartDecisionDatacenter(t, "72", faults)
	for _, name := range []string{"canceled", "timedout", "hasty"} {
		cp := domain.PlanNodes(apptest.ClusterSpec(name, 1, 0))[0].Name
		if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, VM: cp}); err != nil {
			t.Fatal(err)
		}
	}

	op := apptest.ProvisionWith(t, env, apptest.ClusterSpec("canceled", 1, 0), domain.FailurePolicy{})
	apptest.AwaitDecision(t, env, op.ID, workflows.StepCreateControlPlane)
	if r := env.Do("POST", "/api/v1/operations/"+op.ID+"/cancel", env.AdminToken, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	op = env.WaitOperationEnd(op.ID, time.Minute)
	if op.State != domain.OpCanceled || apptest.StepStates(op)[workflows.StepCompensateVMs] != domain.StepSucceeded {
		t.Fatalf("canceled while waiting = %s; steps %+v", op.State, op.Steps)
	}
	c := apptest.GetCluster(t, env, "canceled")
	if c.Phase != domain.PhaseFailed || c.Operation != nil {
		t.Errorf("cluster = %s, operation %+v", c.Phase, c.Operation)
	}
	apptest.CheckNothingLeft(t, env, c.ID)
	if r := retryOperation(env, op.ID, env.AdminToken); r.Status != http.StatusConflict {
		t.Errorf("retry of a compensated operation = %d %s", r.Status, r.Body)
	}
	if after := env.WaitOperationEnd(op.ID, time.Minute); after.State != domain.OpCanceled || !after.UpdatedAt.Equal(op.UpdatedAt) {
		t.Errorf("the refused retry changed the operation: %s at %s, was %s", after.State, after.UpdatedAt, op.UpdatedAt)
	}

	op = apptest.ProvisionWith(t, env, apptest.ClusterSpec("timedout", 1, 0), domain.FailurePolicy{DecisionTimeout: "3s"})
	if op.DecisionTimeout != "3s" || op.OnFailure != domain.OnFailureWait {
		t.Errorf("policy of the operation = %+v", op.FailurePolicy)
	}
	apptest.AwaitDecision(t, env, op.ID, workflows.StepCreateControlPlane)
	op = env.WaitOperationEnd(op.ID, time.Minute)
	if op.State != domain.OpFailed || !strings.Contains(op.Error, "no decision") {
		t.Fatalf("undecided = %s: %q", op.State, op.Error)
	}
	apptest.CheckNothingLeft(t, env, apptest.GetCluster(t, env, "timedout").ID)

	op = apptest.ProvisionWith(t, env, apptest.ClusterSpec("hasty", 1, 0), domain.FailurePolicy{OnFailure: domain.OnFailureCompensate})
	op = env.WaitOperation(op.ID)
	if op.State != domain.OpFailed || apptest.StepStates(op)[workflows.StepCompensateVMs] != domain.StepSucceeded {
		t.Fatalf("compensate at once = %s; steps %+v", op.State, op.Steps)
	}

	// A wrong template hardware version is refused by preflight: no wait, whatever the policy.
	bad := apptest.ClusterSpec("refused", 1, 0)
	bad.Placement.Template = "no-such-template"
	if r := env.Do("POST", "/api/v1/clusters", env.AdminToken, bad); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown template = %d", r.Status)
	}
	// Bad policies are 400 naming the field, and start nothing.
	r := env.Do("POST", "/api/v1/clusters", env.AdminToken, map[string]any{"name": "x", "on_failure": "pray", "decision_timeout": "1y"})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"on_failure"`) || !strings.Contains(string(r.Body), `"decision_timeout"`) {
		t.Errorf("bad policy = %d %s", r.Status, r.Body)
	}
	if r := env.Do("DELETE", "/api/v1/clusters/hasty?decision_timeout=0s", env.AdminToken, nil); r.Status != http.StatusBadRequest {
		t.Errorf("DELETE with a zero decision timeout = %d %s", r.Status, r.Body)
	}
}

// checkAudited checks that the audit log has an event of action by actor with outcome.
func checkAudited(t *testing.T, env *apptest.Env, action, actor, outcome string) {
	t.Helper()
	var events struct{ Items []domain.AuditEvent }
	env.Do("GET", "/api/v1/audit?action="+action+"&actor="+actor, env.AdminToken, nil).JSON(t, &events)
	if !slices.ContainsFunc(events.Items, func(e domain.AuditEvent) bool { return e.Outcome == outcome }) {
		t.Errorf("no %s audit event of %s with outcome %s: %+v", action, actor, outcome, events.Items)
	}
}

// followEvents reads the operation's event stream until it ends and sends every event
// (id, kind and data, one line each) on the returned channel. With dropAfter > 0 it
// drops the connection after that many events and reconnects with Last-Event-ID, as a
// client whose connection was lost does.
func followEvents(t *testing.T, env *apptest.Env, id string, dropAfter int) <-chan []string {
	t.Helper()
	out := make(chan []string, 1)
	go func() {
		var events []string
		last := ""
		for attempt := 0; attempt < 10; attempt++ {
			ended, err := readEvents(env, id, last, dropAfter, func(ev sseEvent) {
				events = append(events, ev.id+" "+ev.event+" "+ev.data)
				last = ev.id
			})
			if ended {
				out <- events
				return
			}
			if err != nil && !strings.Contains(err.Error(), "dropped") {
				t.Errorf("event stream: %v", err)
			}
			dropAfter = 0
		}
		t.Errorf("event stream of %s never ended", id)
		out <- events
	}()
	return out
}

type sseEvent struct{ id, event, data string }

// readEvents reads one connection of the event stream, after event last.
func readEvents(env *apptest.Env, id, last string, dropAfter int, each func(sseEvent)) (ended bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*apptest.ProvisionTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", env.URL+"/api/v1/operations/"+id+"/events", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+env.AdminToken)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var ev sseEvent
	n := 0
	return scanSSE(resp.Body, func(field, value string) (stop bool, err error) {
		switch field {
		case "id":
			ev.id = value
		case "event":
			ev.event = value
		case "data":
			ev.data = value
		case "":
			if ev.event == "end" {
				return true, nil
			}
			if ev.event != "" {
				each(ev)
				n++
			}
			ev = sseEvent{}
			if dropAfter > 0 && n == dropAfter {
				return true, errDropped
			}
		}
		return false, nil
	})
}

var errDropped = errors.New("connection dropped on purpose")

// scanSSE reads Server-Sent Events lines, calling fn with each field (comments skipped)
// and with an empty field at each blank line that ends an event. It reports ended when fn
// stops it without an error.
func scanSSE(r io.Reader, fn func(field, value string) (stop bool, err error)) (ended bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		stop, err := fn(field, strings.TrimPrefix(value, " "))
		if err != nil {
			return false, err
		}
		if stop {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return false, io.ErrUnexpectedEOF
}
