package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestRestore: `clusters restore NAME --backup ID` posts to the backup's restore with the
// decision flags and prints the operation; no --backup is a usage error; a refused
// backup is exit 2 with the API's reason.
func TestRestore(t *testing.T) {
	f := newFakeAPI(t)
	const backup = "0f8c2f1e-6a7b-4c1d-9e2f-3a4b5c6d7e8f"
	path := "/api/v1/clusters/beta/backups/" + backup + "/restore"
	f.script("POST", path, http.StatusAccepted, map[string]any{"operation": map[string]any{"id": opID,
		"kind": "cluster.restore", "state": "Pending", "actor": "admin",
		"target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}, "steps": []any{}}})
	r := ok(t, "clusters", "restore", "beta", "--backup", backup, "--on-failure", "compensate")
	if !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.restore") {
		t.Errorf("clusters restore:\n%s", r.stdout)
	}
	if r = ok(t, "backups", "restore", "beta", "--backup", backup); !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.restore") {
		t.Errorf("backups restore:\n%s", r.stdout)
	}
	if reqs := f.requestsTo("POST", path); len(reqs) != 2 || reqs[0].query != "on_failure=compensate" {
		t.Errorf("clusters restore sent %+v", reqs)
	}
	if r = cwctl(t, "clusters", "restore", "beta"); r.code != 2 || !strings.Contains(r.stderr, "--backup ID is required") {
		t.Errorf("without --backup: exit %d %q", r.code, r.stderr)
	}
	f.script("POST", path, http.StatusUnprocessableEntity, map[string]any{
		"type": "https://clusterwright.dev/problems/restore-refused", "title": "Restore refused", "status": 422,
		"detail": "backup " + backup + " is a backup of another cluster, not of beta"})
	if r = cwctl(t, "clusters", "restore", "beta", "--backup", backup); r.code == 0 || !strings.Contains(r.stderr, "another cluster") {
		t.Errorf("a refused restore: exit %d %q", r.code, r.stderr)
	}
}
