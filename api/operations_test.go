package api_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// slowInventory makes the simulated vCenter take seconds to open an inventory view, so
// that a sync stays running long enough to be watched, refused and canceled.
func slowInventory(m *simulator.Model) {
	m.DelayConfig.MethodDelay = map[string]int{"CreateContainerView": 6000}
}

// TestOperationBusyEventsAndCancel starts a slow sync, gets 409 naming it for a second
// one, follows it live over server-sent events, cancels it, and sees it end Canceled.
func TestOperationBusyEventsAndCancel(t *testing.T) {
	env := apptest.StartWith(t, apptest.Options{VCenter: sim.VCenterOptions{Customize: slowInventory}})
	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, env.VCenterInput("slow"))
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var created struct{ Operation domain.Operation }
	r.JSON(t, &created)
	opID := created.Operation.ID

	r = env.Do("POST", "/api/v1/vcenters/slow/sync", env.AdminToken, nil)
	var busy struct {
		Status    int
		Operation string
	}
	r.JSON(t, &busy)
	if r.Status != http.StatusConflict || busy.Operation != opID {
		t.Fatalf("second sync while one runs: %d %s; want 409 naming %s", r.Status, r.Body, opID)
	}

	// Follow the operation live until its step is running.
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/operations/"+opID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+env.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events content type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	sawRunningStep := false
	for !sawRunningStep && lines.Scan() {
		sawRunningStep = strings.HasPrefix(lines.Text(), "data: ") &&
			strings.Contains(lines.Text(), `"name":"`+workflows.StepCollectInventory+`","state":"Running"`)
	}
	if !sawRunningStep {
		t.Fatalf("the event stream ended without the running step: %v", lines.Err())
	}

	viewer := env.Token("watcher", domain.RoleViewer)
	if r := env.Do("POST", "/api/v1/operations/"+opID+"/cancel", viewer, nil); r.Status != http.StatusForbidden {
		t.Fatalf("viewer cancel: %d", r.Status)
	}
	if r := env.Do("POST", "/api/v1/operations/"+opID+"/cancel", env.AdminToken, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	// The stream reports the end and closes.
	ended := make(chan bool, 1)
	go func() {
		end := false
		for lines.Scan() {
			end = end || lines.Text() == "event: end"
		}
		ended <- end
	}()
	select {
	case end := <-ended:
		if !end {
			t.Fatal("the event stream closed without an end event")
		}
	case <-time.After(time.Minute):
		t.Fatal("the event stream did not end after the cancel")
	}

	op := env.WaitOperation(opID)
	if op.State != domain.OpCanceled || len(op.Steps) != 1 || op.Steps[0].State != domain.StepCanceled {
		t.Fatalf("canceled operation = %+v", op)
	}
	if r := env.Do("POST", "/api/v1/operations/"+opID+"/cancel", env.AdminToken, nil); r.Status != http.StatusConflict {
		t.Fatalf("cancel of an ended operation: %d", r.Status)
	}
	// The vCenter is free again.
	if r := env.Do("POST", "/api/v1/vcenters/slow/sync", env.AdminToken, nil); r.Status != http.StatusAccepted {
		t.Fatalf("sync after cancel: %d %s", r.Status, r.Body)
	}
}
