package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// TestBackups: the table of a cluster's backups (and the JSON as the API sent it), a
// cluster without any, and backup starting its operation with the body of --target and
// --retention and the decision flags; a busy cluster is exit 2 with the API's message.
func TestBackups(t *testing.T) {
	f := newFakeAPI(t)
	f.script("GET", "/api/v1/clusters/beta/backups", http.StatusOK, map[string]any{"items": []any{
		map[string]any{"id": "0b6f3d2e-8a1c-4e7f-9d2b-5c3a1e0f7b6d", "cluster_id": "c1", "created_at": "2026-12-02T10:00:00Z", "state": "Completed",
			"target_kind": "directory", "target_location": "/var/backups", "object_key": "c1/0b6f/etcd-snapshot.db.age", "size_bytes": 4096,
			"sha256": "abcdef0123456789abcdef", "etcd_revision": 1234, "kubernetes_version": "v1.35.1", "node": "beta-cp-0"},
		map[string]any{"id": "1c7a4e3f-9b2d-4f80-8e3c-6d4b2f1a8c7e", "cluster_id": "c1", "created_at": "2026-12-01T10:00:00Z", "state": "Completed",
			"target_kind": "s3", "target_location": "http://s3.lab:9000/etcd/cw", "object_key": "c1/1c7a/etcd-snapshot.db.age", "size_bytes": 4000,
			"sha256": "0123456789ab", "etcd_revision": 1200, "kubernetes_version": "v1.35.1", "node": "beta-cp-1"},
	}})
	r := ok(t, "clusters", "backups", "beta")
	want := "ID                                    CREATED               SIZE  SHA256        REVISION  VERSION  NODE       TARGET\n" +
		"0b6f3d2e-8a1c-4e7f-9d2b-5c3a1e0f7b6d  2026-12-02T10:00:00Z  4096  abcdef012345  1234      v1.35.1  beta-cp-0  directory:/var/backups\n" +
		"1c7a4e3f-9b2d-4f80-8e3c-6d4b2f1a8c7e  2026-12-01T10:00:00Z  4000  0123456789ab  1200      v1.35.1  beta-cp-1  s3:http://s3.lab:9000/etcd/cw\n"
	if r.stdout != want {
		t.Errorf("clusters backups:\n%s\nwant:\n%s", r.stdout, want)
	}
	var list struct{ Items []domain.Backup }
	decode(t, ok(t, "clusters", "backups", "beta", "-o", "json"), &list)
	if len(list.Items) != 2 || list.Items[1].TargetKind != domain.TargetS3 || list.Items[0].EtcdRevision != 1234 {
		t.Errorf("-o json: %+v", list)
	}

	if r = ok(t, "backups", "list", "beta"); r.stdout != want {
		t.Errorf("backups list:\n%s\nwant:\n%s", r.stdout, want)
	}

	f.script("GET", "/api/v1/clusters/fresh/backups", http.StatusOK, map[string]any{"items": []any{}})
	if r = ok(t, "clusters", "backups", "fresh"); !strings.Contains(r.stdout, "no backups") {
		t.Errorf("a cluster without backups:\n%s", r.stdout)
	}

	path := "/api/v1/clusters/beta/backups"
	f.script("POST", path, http.StatusAccepted, map[string]any{"operation": map[string]any{"id": opID, "kind": domain.OpBackupCluster,
		"state": "Pending", "actor": "admin", "target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}, "steps": []any{}}})
	r = ok(t, "clusters", "backup", "beta", "--target", "s3", "--retention", "3", "--on-failure", "compensate")
	if !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.backup cluster/beta") {
		t.Errorf("clusters backup:\n%s", r.stdout)
	}
	ok(t, "clusters", "backup", "beta")
	reqs := f.requestsTo("POST", path)
	var body domain.BackupRequest
	if len(reqs) != 2 || reqs[0].query != "on_failure=compensate" || json.Unmarshal(reqs[0].body, &body) != nil ||
		body != (domain.BackupRequest{Target: "s3", Retention: 3}) || len(reqs[1].body) != 0 || reqs[1].query != "" {
		t.Errorf("clusters backup sent %+v", reqs)
	}

	f.script("POST", path, http.StatusConflict, map[string]any{
		"type": "https://clusterwright.dev/problems/busy", "title": "Busy", "status": 409,
		"detail": "cluster beta is busy with operation " + opID, "operation": opID})
	if r = cwctl(t, "clusters", "backup", "beta"); r.code != 2 || !strings.Contains(r.stderr, "busy with operation "+opID) {
		t.Errorf("a busy cluster: exit %d %q", r.code, r.stderr)
	}
}
