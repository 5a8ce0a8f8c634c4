package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestSyncSurvivesWorkerLoss stops the only worker while a sync waits on vCenter and
// starts another: the operation resumes on the new worker and succeeds, and its step
// shows the extra attempt.
func TestSyncSurvivesWorkerLoss(t *testing.T) {
	env := apptest.StartWith(t, apptest.Options{VCenter: sim.VCenterOptions{Customize: func(m *simulator.Model) {
		m.DelayConfig.MethodDelay = map[string]int{"CreateContainerView": 3000}
	}}})
	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, env.VCenterInput("vc1"))
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var created struct{ Operation domain.Operation }
	r.JSON(t, &created)

	// Wait until the step's first attempt is under way, then lose the worker.
	deadline := time.Now().Add(time.Minute)
	for {
		var op domain.Operation
		env.Do("GET", "/api/v1/operations/"+created.Operation.ID, env.AdminToken, nil).JSON(t, &op)
		if len(op.Steps) == 1 && op.Steps[0].Attempts == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync never started: %+v", op)
		}
		time.Sleep(50 * time.Millisecond)
	}
	env.StopWorker()
	env.StartWorker()

	op := env.WaitOperation(created.Operation.ID)
	if op.State != domain.OpSucceeded {
		t.Fatalf("operation after worker loss = %+v", op)
	}
	if s := op.Steps[0]; s.Name != workflows.StepCollectInventory || s.State != domain.StepSucceeded || s.Attempts < 2 {
		t.Fatalf("step = %+v; want it succeeded on a later attempt", s)
	}
	var inv domain.Inventory
	env.Do("GET", "/api/v1/vcenters/vc1/inventory", env.AdminToken, nil).JSON(t, &inv)
	if len(inv.Templates) == 0 {
		t.Fatal("no inventory recorded after the resumed sync")
	}
}
