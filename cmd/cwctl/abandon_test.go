package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestAbandonFlags: `ops abandon` posts no body, adds force=true only with --force, prints
// the abandoned operation with its reason (or the API's JSON with -o json), and a refusal
// (the workflow still runs) is exit 2 with the API's detail.
func TestAbandonFlags(t *testing.T) {
	f := newFakeAPI(t)
	path := "/api/v1/operations/" + opID + "/abandon"
	f.script("POST", path, http.StatusConflict, map[string]any{
		"type": "https://clusterwright.dev/problems/conflict", "title": "Conflict", "status": 409,
		"detail": "operation " + opID + ": its workflow is still running; cancel the operation instead"})
	if r := cwctl(t, "ops", "abandon", opID); r.code != 2 || !strings.Contains(r.stderr, "its workflow is still running; cancel the operation instead") {
		t.Errorf("a refused abandon: exit %d %q", r.code, r.stderr)
	}
	f.script("POST", path, http.StatusOK, map[string]any{"operation": map[string]any{"id": opID, "kind": domain.OpProvisionCluster,
		"state": "Failed", "error": "abandoned by admin; its running workflow was terminated", "actor": "admin",
		"target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}, "steps": []any{}}})
	r := ok(t, "ops", "abandon", opID, "--force")
	if want := "operation " + opID + ": cluster.provision cluster/beta Failed: abandoned by admin; its running workflow was terminated\n"; r.stdout != want {
		t.Errorf("ops abandon --force:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = ok(t, "ops", "abandon", opID, "-o", "json")
	var reply struct{ Operation domain.Operation }
	if err := json.Unmarshal([]byte(r.stdout), &reply); err != nil || reply.Operation.State != domain.OpFailed {
		t.Errorf("-o json: %v %s", err, r.stdout)
	}
	reqs := f.requestsTo("POST", path)
	if len(reqs) != 3 || reqs[0].query != "" || reqs[1].query != "force=true" || reqs[2].query != "" {
		t.Fatalf("ops abandon sent %+v", reqs)
	}
	for _, q := range reqs {
		if len(q.body) != 0 {
			t.Errorf("ops abandon sent a body: %q", q.body)
		}
	}
}

// TestAbandonAgainstTheRealStack: an operation whose workflow never started (recorded, as
// by a process that died before starting it) holds its vCenter; `cwctl ops abandon`
// fails it as "abandoned by admin" and the vCenter takes a new sync; abandoning it again
// is refused (exit 2).
func TestAbandonAgainstTheRealStack(t *testing.T) {
	env := apptest.Start(t)
	env.RegisterVCenter("vc1")
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, env.AdminToken)
	ctx := context.Background()
	v, err := env.App.Store.GetVCenter(ctx, "vc1")
	if err != nil {
		t.Fatal(err)
	}
	op, err := env.App.Store.CreateOperation(ctx, domain.Operation{Kind: domain.OpSyncInventory, Actor: "admin",
		Target: domain.Target{Kind: "vcenter", ID: v.ID, Name: v.Name}, WorkflowID: workflows.VCenterWorkflowID(v.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if r := env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil); r.Status != http.StatusConflict {
		t.Fatalf("sync while the orphan holds the vCenter = %d %s, want 409", r.Status, r.Body)
	}
	r := ok(t, "ops", "abandon", op.ID)
	if want := "operation " + op.ID + ": vcenter.sync vcenter/vc1 Failed: abandoned by admin; its workflow was not found\n"; r.stdout != want {
		t.Errorf("ops abandon:\n%s\nwant:\n%s", r.stdout, want)
	}
	if r := cwctl(t, "ops", "abandon", op.ID); r.code != 2 || !strings.Contains(r.stderr, "is Failed") {
		t.Errorf("abandon of an ended operation: exit %d %q", r.code, r.stderr)
	}
	if r := env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil); r.Status != http.StatusAccepted {
		t.Errorf("sync of the freed vCenter = %d %s, want 202", r.Status, r.Body)
	}
}
