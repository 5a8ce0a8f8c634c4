package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// day2Accepted scripts the 202 of a Day-2 operation of kind on cluster beta.
func day2Accepted(f *fakeAPI, path, kind string) {
	f.script("POST", path, http.StatusAccepted, map[string]any{"operation": map[string]any{"id": opID, "kind": kind,
		"state": "Pending", "actor": "olga", "target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}, "steps": []any{}}})
}

// sentJSON decodes the body of the i-th request to path as a JSON object.
func sentJSON(t *testing.T, f *fakeAPI, path string, i int) (map[string]any, string) {
	t.Helper()
	reqs := f.requestsTo("POST", path)
	if len(reqs) <= i {
		t.Fatalf("%d requests to %s, want more than %d", len(reqs), path, i)
	}
	if len(reqs[i].body) == 0 {
		return nil, reqs[i].query
	}
	var m map[string]any
	if err := json.Unmarshal(reqs[i].body, &m); err != nil {
		t.Fatalf("body %q: %v", reqs[i].body, err)
	}
	return m, reqs[i].query
}

// TestUpgradeAndScale: `clusters upgrade` and `clusters scale` send the request their
// flags make, with the decision flags as the query, and print the started operation;
// missing or bad flags are usage errors sent nowhere; the API's field errors are exit 2
// with each field; --wait follows the operation to its end (exit 1 when it fails).
func TestUpgradeAndScale(t *testing.T) {
	fastStreams(t, 5*time.Second)
	f := newFakeAPI(t)
	upgrade := "/api/v1/clusters/beta/upgrade"
	day2Accepted(f, upgrade, domain.OpUpgradeCluster)
	r := ok(t, "clusters", "upgrade", "beta", "--version", "v1.37.2", "--no-backup", "--max-unavailable", "2",
		"--drain-timeout", "30m", "--on-failure", "compensate")
	if !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.upgrade cluster/beta Pending\nfollow it with: cwctl ops watch "+opID) {
		t.Errorf("clusters upgrade:\n%s", r.stdout)
	}
	body, query := sentJSON(t, f, upgrade, 0)
	want := map[string]any{"kubernetes_version": "v1.37.2", "backup": false, "max_unavailable": 2.0, "drain_timeout": "30m"}
	if !equalJSON(body, want) || query != "on_failure=compensate" {
		t.Errorf("clusters upgrade sent %v ?%s, want %v ?on_failure=compensate", body, query, want)
	}
	ok(t, "clusters", "upgrade", "beta", "--version", "v1.37.2")
	if body, query = sentJSON(t, f, upgrade, 1); !equalJSON(body, map[string]any{"kubernetes_version": "v1.37.2"}) || query != "" {
		t.Errorf("a plain upgrade sent %v ?%s", body, query)
	}

	scale := "/api/v1/clusters/beta/scale"
	day2Accepted(f, scale, domain.OpScaleCluster)
	r = ok(t, "clusters", "scale", "beta", "--pool", "gpu", "--replicas", "2", "--cpus", "8", "--memory-mib", "16384", "--disk-gib", "80")
	if !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.scale cluster/beta") {
		t.Errorf("clusters scale:\n%s", r.stdout)
	}
	ok(t, "clusters", "scale", "beta", "--pool", "gpu", "--replicas", "0", "--drain-timeout", "5m", "--decision-timeout", "1h")
	if body, _ = sentJSON(t, f, scale, 0); !equalJSON(body, map[string]any{"pool": "gpu", "replicas": 2.0, "cpus": 8.0, "memory_mib": 16384.0, "disk_gib": 80.0}) {
		t.Errorf("clusters scale sent %v", body)
	}
	if body, query = sentJSON(t, f, scale, 1); !equalJSON(body, map[string]any{"pool": "gpu", "replicas": 0.0, "drain_timeout": "5m"}) ||
		query != "decision_timeout=1h" {
		t.Errorf("scaling to 0 sent %v ?%s", body, query)
	}

	// Usage errors: exit 2, nothing sent.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"clusters", "upgrade", "beta"}, `required flag(s) "version" not set`},
		{[]string{"clusters", "upgrade", "beta", "--version", "v1.37.2", "--drain-timeout", "soon"}, "--drain-timeout: want a duration"},
		{[]string{"clusters", "upgrade", "beta", "--version", "v1.37.2", "--on-failure", "maybe"}, "--on-failure: must be"},
		{[]string{"clusters", "upgrade", "--version", "v1.37.2"}, "usage: cwctl clusters upgrade NAME"},
		{[]string{"clusters", "scale", "beta", "--replicas", "2"}, `required flag(s) "pool" not set`},
		{[]string{"clusters", "scale", "beta", "--pool", "gpu"}, `required flag(s) "replicas" not set`},
		{[]string{"clusters", "scale", "beta", "--pool", "gpu", "--replicas", "two"}, "invalid argument"},
	} {
		if r := cwctl(t, c.args...); r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("cwctl %s: exit %d %q, want 2 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
	if n, m := len(f.requestsTo("POST", upgrade)), len(f.requestsTo("POST", scale)); n != 2 || m != 2 {
		t.Errorf("usage errors sent requests: %d upgrades, %d scales", n, m)
	}

	// The API's refusal: each field on its own line, exit 2.
	f.script("POST", upgrade, http.StatusBadRequest, map[string]any{
		"type": "https://clusterwright.dev/problems/invalid-input", "title": "Invalid input", "status": 400,
		"detail": "one or more fields are invalid", "errors": []any{
			map[string]any{"field": "kubernetes_version", "message": "v1.35.8 is older than the cluster's version v1.36.5: Kubernetes is not downgraded"},
			map[string]any{"field": "max_unavailable", "message": "must be from 1 to the number of workers (2)"}}})
	r = cwctl(t, "clusters", "upgrade", "beta", "--version", "v1.35.8", "--max-unavailable", "5")
	if r.code != 2 || !strings.Contains(r.stderr, "  kubernetes_version: v1.35.8 is older") || !strings.Contains(r.stderr, "  max_unavailable: must be from 1") {
		t.Errorf("a refused upgrade: exit %d %q", r.code, r.stderr)
	}

	// --wait follows the operation: exit 0 when it succeeds, 1 when it fails.
	f = newFakeAPI(t)
	day2Accepted(f, upgrade, domain.OpUpgradeCluster)
	f.append(opEvent("Running", 1, "kind", domain.OpUpgradeCluster),
		stepEvent(0, "backup", "Running", 1, 1, ""), stepEvent(0, "backup", "Succeeded", 1, 2, ""),
		opEvent("Succeeded", 3, "kind", domain.OpUpgradeCluster, "finished_at", at(3)))
	r = ok(t, "clusters", "upgrade", "beta", "--version", "v1.37.2", "--wait")
	if !strings.Contains(r.stdout, "backup") || !strings.HasSuffix(r.stdout, "operation "+opID+" Succeeded\n") {
		t.Errorf("upgrade --wait:\n%s", r.stdout)
	}
	f = newFakeAPI(t)
	day2Accepted(f, scale, domain.OpScaleCluster)
	f.append(opEvent("Running", 1, "kind", domain.OpScaleCluster),
		opEvent("Failed", 2, "kind", domain.OpScaleCluster, "error", "no free address in pool lab", "finished_at", at(2)))
	if r = cwctl(t, "clusters", "scale", "beta", "--pool", "default", "--replicas", "5", "--wait"); r.code != 1 ||
		!strings.Contains(r.stderr, "no free address in pool lab") {
		t.Errorf("a failing scale --wait: exit %d %q", r.code, r.stderr)
	}
}

// TestNodes: `nodes list` prints a cluster's nodes (as a list with -o json); `nodes
// replace` posts no body unless --drain-timeout is given; `clusters get` says what the
// cluster upgrades to; a busy cluster is exit 2 naming the running operation.
func TestNodes(t *testing.T) {
	f := newFakeAPI(t)
	cluster := map[string]any{"id": "c1", "name": "beta", "vcenter": "vc1", "phase": "Ready", "created_by": "olga",
		"created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z", "upgrade_targets": []any{"v1.37.2"},
		"spec": map[string]any{"name": "beta", "kubernetes_version": "v1.36.5",
			"worker_pools": []any{map[string]any{"name": "default", "replicas": 1, "cpus": 2, "memory_mib": 4096, "disk_gib": 40}}},
		"nodes": []any{
			map[string]any{"name": "beta-cp-0", "role": "control-plane", "pool": "cp", "ip": "127.71.0.10", "vm": "vm-42", "kubelet_version": "v1.36.5", "ready": true},
			map[string]any{"name": "beta-default-0", "role": "worker", "pool": "default", "ip": "127.71.0.11", "vm": "vm-43", "kubelet_version": "v1.36.5", "ready": false},
		}, "addons": []any{}}
	f.script("GET", "/api/v1/clusters/beta", http.StatusOK, cluster)
	r := ok(t, "nodes", "list", "beta")
	want := "NODE            ROLE           POOL     IP           VM     KUBELET  READY\n" +
		"beta-cp-0       control-plane  cp       127.71.0.10  vm-42  v1.36.5  yes\n" +
		"beta-default-0  worker         default  127.71.0.11  vm-43  v1.36.5  no\n"
	if r.stdout != want {
		t.Errorf("nodes list:\n%s\nwant:\n%s", r.stdout, want)
	}
	var list struct{ Items []domain.Node }
	if decode(t, ok(t, "nodes", "list", "beta", "-o", "json"), &list); len(list.Items) != 2 || list.Items[1].Pool != "default" || list.Items[1].Ready {
		t.Errorf("nodes list -o json: %+v", list)
	}
	if r = ok(t, "clusters", "get", "beta"); !regexp.MustCompile(`(?m)^upgrades to:\s+v1\.37\.2$`).MatchString(r.stdout) {
		t.Errorf("clusters get does not say what beta upgrades to:\n%s", r.stdout)
	}
	if r = ok(t, "__complete", "clusters", "upgrade", "beta", "--version", ""); !strings.HasPrefix(r.stdout, "v1.37.2\n:4\n") {
		t.Errorf("completion of --version:\n%s", r.stdout)
	}
	if r = ok(t, "__complete", "nodes", "replace", "beta", ""); !strings.HasPrefix(r.stdout, "beta-cp-0\tcontrol-plane\nbeta-default-0\tworker\n:4\n") {
		t.Errorf("completion of a node:\n%s", r.stdout)
	}
	if r = ok(t, "__complete", "clusters", "scale", "beta", "--pool", ""); !strings.HasPrefix(r.stdout, "default\t1 replicas\n:4\n") {
		t.Errorf("completion of --pool:\n%s", r.stdout)
	}

	path := "/api/v1/clusters/beta/nodes/beta-default-0/replace"
	day2Accepted(f, path, domain.OpReplaceNode)
	if r = ok(t, "nodes", "replace", "beta", "beta-default-0"); !strings.HasPrefix(r.stdout, "operation "+opID+": cluster.node-replace cluster/beta") {
		t.Errorf("nodes replace:\n%s", r.stdout)
	}
	ok(t, "nodes", "replace", "beta", "beta-default-0", "--drain-timeout", "2m", "--on-failure", "wait")
	if body, query := sentJSON(t, f, path, 0); body != nil || query != "" {
		t.Errorf("a plain replace sent %v ?%s", body, query)
	}
	if body, query := sentJSON(t, f, path, 1); !equalJSON(body, map[string]any{"drain_timeout": "2m"}) || query != "on_failure=wait" {
		t.Errorf("replace --drain-timeout sent %v ?%s", body, query)
	}
	if r = cwctl(t, "nodes", "replace", "beta"); r.code != 2 || !strings.Contains(r.stderr, "usage: cwctl nodes replace CLUSTER NODE") {
		t.Errorf("replace without a node: exit %d %q", r.code, r.stderr)
	}
	f.script("POST", path, http.StatusConflict, map[string]any{
		"type": "https://clusterwright.dev/problems/busy", "title": "Busy", "status": 409,
		"detail": "cluster beta is busy with operation " + opID, "operation": opID})
	if r = cwctl(t, "nodes", "replace", "beta", "beta-default-0"); r.code != 2 || !strings.Contains(r.stderr, "running operation: "+opID) {
		t.Errorf("a busy cluster: exit %d %q", r.code, r.stderr)
	}
	if r = ok(t, "help", "nodes", "replace"); !strings.Contains(r.stdout, "cwctl nodes replace CLUSTER NODE [--decision-timeout DURATION] [--drain-timeout DURATION] [--on-failure MODE] [--wait] [-o table|json|yaml]") {
		t.Errorf("help nodes replace:\n%s", r.stdout)
	}
	for args, want := range map[string]string{
		"clusters upgrade": "cwctl clusters upgrade NAME --version VERSION [--decision-timeout DURATION] [--drain-timeout DURATION] [--max-unavailable INT] [--no-backup] [--on-failure MODE] [--wait] [-o table|json|yaml]",
		"clusters scale":   "cwctl clusters scale NAME --pool POOL --replicas N [--cpus INT] [--decision-timeout DURATION]",
	} {
		if r = ok(t, append([]string{"help"}, strings.Fields(args)...)...); !strings.Contains(r.stdout, want) {
			t.Errorf("help %s lacks %q:\n%s", args, want, r.stdout)
		}
	}
}

// equalJSON compares two decoded JSON objects.
func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
