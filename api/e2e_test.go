package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestVCenterRegistrationSyncsInventory registers a simulated vCenter through the API and
// follows it through the real worker and Temporal server to a recorded inventory.
func TestVCenterRegistrationSyncsInventory(t *testing.T) {
	env := apptest.Start(t)
	in := env.VCenterInput("vc1")

	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in)
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/vcenters/vc1" {
		t.Errorf("Location = %q", loc)
	}
	var created struct {
		VCenter   domain.VCenter   `json:"vcenter"`
		Operation domain.Operation `json:"operation"`
	}
	r.JSON(t, &created)
	if created.VCenter.Name != "vc1" || created.Operation.Kind != domain.OpSyncInventory || created.Operation.Actor != "admin" {
		t.Fatalf("reply = %+v", created)
	}

	op := env.WaitOperation(created.Operation.ID)
	if op.State != domain.OpSucceeded {
		t.Fatalf("sync operation = %+v", op)
	}
	if len(op.Steps) != 1 || op.Steps[0].Name != workflows.StepCollectInventory || op.Steps[0].State != domain.StepSucceeded ||
		op.Steps[0].Attempts != 1 || op.Steps[0].StartedAt == nil || op.Steps[0].FinishedAt == nil {
		t.Fatalf("steps = %+v", op.Steps)
	}

	var inv domain.Inventory
	r = env.Do("GET", "/api/v1/vcenters/vc1/inventory", env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("inventory: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &inv)
	if len(inv.Datacenters) == 0 || len(inv.ComputeClusters) == 0 || len(inv.Datastores) == 0 || len(inv.Networks) == 0 || inv.SyncedAt == nil {
		t.Fatalf("inventory incomplete: %+v", inv)
	}
	var tmpl *domain.InventoryObject
	for i := range inv.Templates {
		if inv.Templates[i].Name == sim.DefaultTemplate {
			tmpl = &inv.Templates[i]
		}
	}
	if tmpl == nil || tmpl.Template.HardwareVersion < 15 || !strings.Contains(tmpl.Template.GuestID, "ubuntu") {
		t.Fatalf("template missing or wrong: %+v", inv.Templates)
	}
	for _, ds := range inv.Datastores {
		if ds.Datastore == nil || ds.Datastore.CapacityBytes <= 0 {
			t.Fatalf("datastore without capacity: %+v", ds)
		}
	}

	// A resync is a second operation; while none runs it is accepted.
	r = env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil)
	if r.Status != http.StatusAccepted || !strings.HasPrefix(r.Header.Get("Location"), "/api/v1/operations/") {
		t.Fatalf("resync: %d %s", r.Status, r.Body)
	}
	var again struct{ Operation domain.Operation }
	r.JSON(t, &again)
	if op := env.WaitOperation(again.Operation.ID); op.State != domain.OpSucceeded {
		t.Fatalf("resync = %+v", op)
	}

	// The audit log has both mutating calls with their outcome.
	var audit struct{ Items []domain.AuditEvent }
	env.Do("GET", "/api/v1/audit", env.AdminToken, nil).JSON(t, &audit)
	actions := map[string]domain.AuditEvent{}
	for _, e := range audit.Items {
		actions[e.Action] = e
	}
	if e := actions["vcenter.create"]; e.Outcome != domain.OutcomeSuccess || e.Target != "vcenter/vc1" || e.Actor != "admin" || e.RequestID == "" {
		t.Fatalf("vcenter.create audit = %+v", e)
	}
	if e := actions["vcenter.sync"]; e.Outcome != domain.OutcomeSuccess || e.Target != "vcenter/vc1" {
		t.Fatalf("vcenter.sync audit = %+v", e)
	}

	// The worker counted the runs and attempts.
	m := string(env.Do("GET", "/metrics", "", nil).Body)
	for _, want := range []string{
		`clusterwright_workflows_finished_total{outcome="success",workflow="SyncInventory"} 2`,
		`clusterwright_activity_attempts_total{activity="SyncInventory",outcome="success"} 2`,
		`clusterwright_operations_started_total{kind="vcenter.sync"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The password never comes back and never reaches the log.
	for _, path := range []string{"/api/v1/vcenters", "/api/v1/vcenters/vc1", "/api/v1/audit", "/api/v1/operations/" + op.ID} {
		if b := env.Do("GET", path, env.AdminToken, nil).Body; bytes.Contains(b, []byte(in.Password)) {
			t.Errorf("%s returns the password", path)
		}
	}
	if bytes.Contains(env.Logs.Bytes(), []byte(in.Password)) {
		t.Error("the password is in the log")
	}
}

func TestVCenterBadCredentialsChangeNothing(t *testing.T) {
	env := apptest.Start(t)
	in := env.VCenterInput("vc1")
	in.Password = "wrong-CANARY-pw"
	r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in)
	var p struct {
		Status int
		Errors []domain.FieldError
	}
	r.JSON(t, &p)
	if r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "password" {
		t.Fatalf("bad password: %d %s", r.Status, r.Body)
	}
	if bytes.Contains(r.Body, []byte(in.Password)) || bytes.Contains(env.Logs.Bytes(), []byte(in.Password)) {
		t.Fatal("the rejected password is echoed or logged")
	}
	in = env.VCenterInput("vc1")
	in.Server = "127.0.0.1:1"
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in); r.Status != http.StatusUnprocessableEntity || !bytes.Contains(r.Body, []byte(`"server"`)) {
		t.Fatalf("unreachable server: %d %s", r.Status, r.Body)
	}
	var list struct{ Items []domain.VCenter }
	env.Do("GET", "/api/v1/vcenters", env.AdminToken, nil).JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("a rejected registration was saved: %+v", list.Items)
	}
	var ops struct{ Items []domain.Operation }
	env.Do("GET", "/api/v1/operations", env.AdminToken, nil).JSON(t, &ops)
	if len(ops.Items) != 0 {
		t.Fatalf("a rejected registration started operations: %+v", ops.Items)
	}
}
