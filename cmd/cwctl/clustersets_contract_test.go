package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/domain"
)

// Tests of `cwctl clustersets` against fakeAPI, which answers as the issue 9 contract
// (notes/issue9-contract.md) says: the request each command sends, what it prints, and
// the refusals. clustersets_stack_test.go forms and disbands a set on the real stack.

// joinDecision is what the scripted join of west waits for.
var joinDecision = map[string]any{"step": "join-west", "reason": "west: the member controller is not available",
	"since": at(8), "deadline": "2026-12-03T10:08:00Z"}

// fakeSet is cs1 as GET /clustersets/cs1 returns it: lead and east Ready, west joining,
// its join awaiting a decision.
func fakeSet() map[string]any {
	member := func(cluster string, leader bool, state string, ready bool, active string, candidates, imports []string, msg string) map[string]any {
		m := map[string]any{"cluster": cluster, "cluster_id": "id-" + cluster, "leader": leader, "state": state, "ready": ready,
			"gateway": map[string]any{"candidates": candidates}, "imports": imports, "updated_at": at(8)}
		if active != "" {
			m["gateway"].(map[string]any)["active"] = active
		}
		if msg != "" {
			m["message"] = msg
		}
		return m
	}
	return map[string]any{"id": "set-1", "name": "cs1", "leader": "lead",
		"spec": map[string]any{"name": "cs1", "leader": "lead", "members": []string{"east", "west"},
			"gateway_ip_precedence": "private", "endpoint_ip_type": "ClusterIP"},
		"phase": "Updating", "phase_reason": "west joins",
		"members": []any{
			member("lead", true, "Joined", true, "lead-default-0", []string{"lead-default-0", "lead-default-1"}, []string{"east"}, ""),
			member("east", false, "Joined", true, "east-default-1", []string{"east-default-0", "east-default-1"}, []string{"lead"}, ""),
			member("west", false, "Joining", false, "", []string{}, []string{}, "waiting for the member controller"),
		},
		"operation":  map[string]any{"id": opID, "kind": "clusterset.join", "state": "AwaitingDecision", "decision": joinDecision},
		"created_by": "admin", "created_at": at(0), "updated_at": at(8)}
}

// TestClusterSetViews: list counts members and ready ones; get shows the set, its busy
// operation and the decision it waits for, then a row per member; -o json|yaml is the
// API's reply; an unknown set is the API's 404, exit 2.
func TestClusterSetViews(t *testing.T) {
	f := newFakeAPI(t)
	other := `{"id": "set-2", "name": "cs2", "leader": "solo", "phase": "Ready", "spec": {}, "members": [{"cluster": "solo", "leader": true, "state": "Joined", "ready": true, "gateway": {"candidates": []}, "imports": []}]}`
	set, _ := json.Marshal(fakeSet())
	f.lists["/api/v1/clustersets"] = `{"items": [` + string(set) + `, ` + other + `]}`

	r := ok(t, "clustersets", "list")
	want := "NAME  LEADER  PHASE     MEMBERS  READY\n" +
		"cs1   lead    Updating  3        2\n" +
		"cs2   solo    Ready     1        1\n"
	if r.stdout != want {
		t.Errorf("clustersets list:\n%s\nwant:\n%s", r.stdout, want)
	}
	if q := f.requestsTo("GET", "/api/v1/clustersets"); len(q) != 1 || q[0].query != "limit=500" {
		t.Errorf("clustersets list asked %+v", q)
	}
	var list struct{ Items []domain.ClusterSet }
	decode(t, ok(t, "clustersets", "list", "-o", "json"), &list)
	if len(list.Items) != 2 || list.Items[0].Name != "cs1" || len(list.Items[0].Members) != 3 || list.Items[1].Leader != "solo" {
		t.Errorf("clustersets list -o json = %+v", list.Items)
	}

	f.script("GET", "/api/v1/clustersets/cs1", http.StatusOK, fakeSet())
	r = ok(t, "clustersets", "get", "cs1")
	for _, want := range []string{
		`(?m)^name:\s+cs1$`, `(?m)^leader:\s+lead$`, `(?m)^phase:\s+Updating \(west joins\)$`,
		`(?m)^gateway ip precedence:\s+private$`, `(?m)^endpoint ip type:\s+ClusterIP$`,
		`(?m)^operation:\s+` + opID + ` clusterset.join AwaitingDecision \(cwctl ops watch ` + opID + `\)$`,
		`(?m)^created:\s+2026-12-02T10:00:00Z by admin$`,
		`(?m)^waiting on step:\s+join-west$`, `(?m)^because:\s+west: the member controller is not available$`,
		`(?m)^deadline:\s+2026-12-03T10:08:00Z \(then it compensates by itself\)$`,
		`(?m)^retry the step:\s+cwctl ops retry ` + opID + ` --wait$`, `(?m)^or cancel:\s+cwctl ops cancel ` + opID + `$`,
		`(?m)^CLUSTER\s+ROLE\s+STATE\s+READY\s+GATEWAY\s+CANDIDATES\s+IMPORTS\s+MESSAGE$`,
		`(?m)^lead\s+leader\s+Joined\s+yes\s+lead-default-0\s+lead-default-0,lead-default-1\s+east\s+-$`,
		`(?m)^east\s+member\s+Joined\s+yes\s+east-default-1\s+east-default-0,east-default-1\s+lead\s+-$`,
		`(?m)^west\s+member\s+Joining\s+no\s+-\s+-\s+-\s+waiting for the member controller$`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("clustersets get does not match %s:\n%s", want, r.stdout)
		}
	}
	if strings.Index(r.stdout, "waiting on step") > strings.Index(r.stdout, "CLUSTER ") {
		t.Errorf("clustersets get shows the decision after the members:\n%s", r.stdout)
	}

	var fromYAML, wantMap map[string]any
	r = ok(t, "clustersets", "get", "cs1", "-o", "yaml")
	if err := yaml.Unmarshal([]byte(r.stdout), &fromYAML); err != nil {
		t.Fatalf("clustersets get -o yaml: %v\n%s", err, r.stdout)
	}
	b, _ := json.Marshal(fakeSet())
	json.Unmarshal(b, &wantMap)
	if !reflect.DeepEqual(fromYAML, wantMap) {
		t.Errorf("clustersets get -o yaml = %v\nwant %v", fromYAML, wantMap)
	}

	f.script("GET", "/api/v1/clustersets/nope", http.StatusNotFound,
		map[string]any{"title": "Not Found", "status": 404, "detail": "clusterset nope not found"})
	if r = cwctl(t, "clustersets", "get", "nope"); r.code != 2 || r.stderr != "error: clusterset nope not found\n" {
		t.Errorf("clustersets get of an unknown set: exit %d %q", r.code, r.stderr)
	}
}

// formEvents: cs1 forms, lead alone, and is Ready.
func formEvents() []fakeEvent {
	form := []any{"kind", "clusterset.form", "target", map[string]any{"kind": "clusterset", "id": "set-1", "name": "cs1"}}
	return []fakeEvent{
		opEvent("Running", 1, form...),
		stepEvent(0, "read-clusterset", "Running", 1, 1, ""),
		stepEvent(0, "read-clusterset", "Succeeded", 1, 2, ""),
		stepEvent(1, "set-up-leader", "Running", 1, 3, ""),
		stepEvent(1, "set-up-leader", "Succeeded", 1, 4, ""),
		stepEvent(2, "join-lead", "Running", 1, 5, ""),
		stepEvent(2, "join-lead", "Succeeded", 1, 6, ""),
		stepEvent(3, "wait-clusterset", "Running", 1, 7, ""),
		stepEvent(3, "wait-clusterset", "Succeeded", 1, 8, ""),
		opEvent("Succeeded", 8, append(form, "finished_at", at(8))...),
	}
}

// startedOp is the 202 reply that starts an operation of kind on cs1.
func startedOp(kind string) map[string]any {
	return map[string]any{"operation": map[string]any{"id": opID, "kind": kind, "state": "Pending", "actor": "admin",
		"target": map[string]any{"kind": "clusterset", "id": "set-1", "name": "cs1"}, "steps": []any{}}}
}

// TestCreateClusterSet: -f YAML or JSON is sent as JSON with the decision flags; the
// started operation is printed, or followed with --wait; the API's 422 prints a line per
// field and 409 names the running operation, exit 2; a bad flag sends nothing.
func TestCreateClusterSet(t *testing.T) {
	fastStreams(t, 5*time.Second)
	f := newFakeAPI(t)
	f.script("POST", "/api/v1/clustersets", http.StatusAccepted, startedOp("clusterset.form"))
	dir := t.TempDir()
	file := filepath.Join(dir, "cs1.yaml")
	yamlSet := "name: cs1\nleader: lead\nmembers: [east, west]\ngateways:\n  east: [east-default-0, east-default-1]\n  west: west-default-0\n" +
		"gateway_ip_precedence: private\nendpoint_ip_type: ClusterIP\n"
	if err := os.WriteFile(file, []byte(yamlSet), 0o600); err != nil {
		t.Fatal(err)
	}
	sent := func() map[string]any {
		t.Helper()
		reqs := f.requestsTo("POST", "/api/v1/clustersets")
		var body map[string]any
		if len(reqs) == 0 || json.Unmarshal(reqs[len(reqs)-1].body, &body) != nil {
			t.Fatalf("clustersets create sent %+v", reqs)
		}
		return body
	}

	r := ok(t, "clustersets", "create", "-f", file)
	if r.stdout != "operation "+opID+": clusterset.form clusterset/cs1 Pending\nfollow it with: cwctl ops watch "+opID+"\n" {
		t.Errorf("clustersets create:\n%s", r.stdout)
	}
	want := map[string]any{"name": "cs1", "leader": "lead", "members": []any{"east", "west"},
		"gateways":              map[string]any{"east": []any{"east-default-0", "east-default-1"}, "west": "west-default-0"},
		"gateway_ip_precedence": "private", "endpoint_ip_type": "ClusterIP"}
	if got := sent(); !reflect.DeepEqual(got, want) {
		t.Fatalf("clustersets create -f YAML sent %v\nwant %v", got, want)
	}
	var reply struct{ Operation domain.Operation }
	decode(t, ok(t, "clustersets", "create", "-f", file, "--on-failure", "compensate", "--decision-timeout", "1h", "-o", "json"), &reply)
	want["on_failure"], want["decision_timeout"] = "compensate", "1h"
	if got := sent(); !reflect.DeepEqual(got, want) || reply.Operation.Kind != domain.OpFormClusterSet {
		t.Fatalf("clustersets create with decision flags sent %v, printed %+v", got, reply.Operation)
	}

	// --wait: the steps to the end, exit 0.
	jsonFile := filepath.Join(dir, "solo.json")
	os.WriteFile(jsonFile, []byte(`{"name": "cs1", "leader": "lead"}`), 0o600)
	f.append(formEvents()...)
	r = ok(t, "clustersets", "create", "-f", jsonFile, "--wait")
	if got := sent(); !reflect.DeepEqual(got, map[string]any{"name": "cs1", "leader": "lead"}) {
		t.Errorf("clustersets create -f JSON sent %v", got)
	}
	wantWatch := "operation " + opID + ": clusterset.form clusterset/cs1 Pending\n" +
		"2026-12-02T10:01:00Z  read-clusterset                 Running    attempts=1\n" +
		"2026-12-02T10:02:00Z  read-clusterset                 Succeeded  attempts=1\n" +
		"2026-12-02T10:03:00Z  set-up-leader                   Running    attempts=1\n" +
		"2026-12-02T10:04:00Z  set-up-leader                   Succeeded  attempts=1\n" +
		"2026-12-02T10:05:00Z  join-lead                       Running    attempts=1\n" +
		"2026-12-02T10:06:00Z  join-lead                       Succeeded  attempts=1\n" +
		"2026-12-02T10:07:00Z  wait-clusterset                 Running    attempts=1\n" +
		"2026-12-02T10:08:00Z  wait-clusterset                 Succeeded  attempts=1\n" +
		"operation " + opID + " Succeeded\n"
	if r.stdout != wantWatch {
		t.Errorf("clustersets create --wait:\n%s\nwant:\n%s", r.stdout, wantWatch)
	}

	// 422: one line per field, exit 2.
	f.script("POST", "/api/v1/clustersets", http.StatusUnprocessableEntity, map[string]any{
		"type": "https://clusterwright.dev/problems/preflight-failed", "title": "Unprocessable Entity", "status": 422,
		"detail": "the request does not fit the inventory",
		"errors": []map[string]string{
			{"field": "members[1]", "message": `cluster "nowhere" does not exist`},
			{"field": "gateways.east", "message": `node "east-no-such-node" is not a node of cluster "east" (its nodes: east-cp-0, east-default-0)`},
		}})
	r = cwctl(t, "clustersets", "create", "-f", file)
	wantErr := "error: the request does not fit the inventory\n" +
		"  members[1]: cluster \"nowhere\" does not exist\n" +
		"  gateways.east: node \"east-no-such-node\" is not a node of cluster \"east\" (its nodes: east-cp-0, east-default-0)\n"
	if r.code != 2 || r.stdout != "" || r.stderr != wantErr {
		t.Errorf("a set the preflight refuses: exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}

	// 409: a set of that name exists.
	f.script("POST", "/api/v1/clustersets", http.StatusConflict, map[string]any{
		"type": "https://clusterwright.dev/problems/conflict", "title": "Conflict", "status": 409, "detail": `clusterset "cs1" exists`})
	if r = cwctl(t, "clustersets", "create", "-f", file); r.code != 2 || r.stderr != "error: clusterset \"cs1\" exists\n" {
		t.Errorf("a set that exists: exit %d %q", r.code, r.stderr)
	}

	before := len(f.requestsTo("POST", "/api/v1/clustersets"))
	if r = cwctl(t, "clustersets", "create", "-f", file, "--decision-timeout", "soon"); r.code != 2 || !strings.Contains(r.stderr, "--decision-timeout: want a duration") {
		t.Errorf("a bad --decision-timeout: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clustersets", "create"); r.code != 2 || !strings.Contains(r.stderr, "-f: a YAML or JSON file is required") {
		t.Errorf("create without -f: exit %d %q", r.code, r.stderr)
	}
	if after := len(f.requestsTo("POST", "/api/v1/clustersets")); after != before {
		t.Errorf("refused invocations sent %d requests", after-before)
	}
}

// TestJoinLeaveDelete: the request of each (body or query), the started operation, and
// the API's refusals: 422 per field, 409 busy naming the running operation, 409 for the
// leader's leave; a missing --cluster sends nothing.
func TestJoinLeaveDelete(t *testing.T) {
	fastStreams(t, 5*time.Second)
	f := newFakeAPI(t)
	membersPath := "/api/v1/clustersets/cs1/members"
	f.script("POST", membersPath, http.StatusAccepted, startedOp("clusterset.join"))

	r := ok(t, "clustersets", "join", "cs1", "--cluster", "west", "--gateway", "west-default-0", "--gateway", "west-cp-0",
		"--on-failure", "compensate")
	if r.stdout != "operation "+opID+": clusterset.join clusterset/cs1 Pending\nfollow it with: cwctl ops watch "+opID+"\n" {
		t.Errorf("clustersets join:\n%s", r.stdout)
	}
	joins := f.requestsTo("POST", membersPath)
	var body map[string]any
	if len(joins) != 1 || json.Unmarshal(joins[0].body, &body) != nil || !reflect.DeepEqual(body, map[string]any{
		"cluster": "west", "gateways": []any{"west-default-0", "west-cp-0"}, "on_failure": "compensate"}) {
		t.Fatalf("clustersets join sent %+v (%v)", joins, body)
	}
	ok(t, "clustersets", "join", "cs1", "--cluster=west")
	if joins = f.requestsTo("POST", membersPath); len(joins) != 2 || string(joins[1].body) != `{"cluster":"west"}` {
		t.Fatalf("clustersets join without gateways sent %q", joins[1].body)
	}
	if r = cwctl(t, "clustersets", "join", "cs1", "--gateway", "west-cp-0"); r.code != 2 || !strings.Contains(r.stderr, `required flag(s) "cluster" not set`) {
		t.Errorf("join without --cluster: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clustersets", "join", "--cluster", "west"); r.code != 2 || !strings.Contains(r.stderr, "usage: cwctl clustersets join NAME --cluster CLUSTER") {
		t.Errorf("join without NAME: exit %d %q", r.code, r.stderr)
	}
	if n := len(f.requestsTo("POST", membersPath)); n != 2 {
		t.Errorf("refused joins sent %d requests", n-2)
	}

	f.script("POST", membersPath, http.StatusUnprocessableEntity, map[string]any{
		"title": "Unprocessable Entity", "status": 422, "detail": "the request does not fit the inventory",
		"errors": []map[string]string{{"field": "cluster", "message": `cluster "east-1" and "east" form a dash-prefix pair`}}})
	if r = cwctl(t, "clustersets", "join", "cs1", "--cluster", "east-1"); r.code != 2 ||
		r.stderr != "error: the request does not fit the inventory\n  cluster: cluster \"east-1\" and \"east\" form a dash-prefix pair\n" {
		t.Errorf("a join the preflight refuses: exit %d %q", r.code, r.stderr)
	}
	busy := map[string]any{"type": "https://clusterwright.dev/problems/busy", "title": "Busy", "status": 409,
		"detail": "clusterset cs1 is busy with operation " + opID, "operation": opID}
	f.script("POST", membersPath, http.StatusConflict, busy)
	if r = cwctl(t, "clustersets", "join", "cs1", "--cluster", "west"); r.code != 2 ||
		r.stderr != "error: clusterset cs1 is busy with operation "+opID+"\n  running operation: "+opID+" (cwctl ops watch "+opID+")\n" {
		t.Errorf("a join while the set is busy: exit %d %q", r.code, r.stderr)
	}

	// leave: DELETE .../members/CLUSTER with the decision flags as query.
	f.script("DELETE", membersPath+"/east", http.StatusAccepted, startedOp("clusterset.leave"))
	r = ok(t, "clustersets", "leave", "cs1", "east", "--decision-timeout", "2h", "-o", "json")
	var reply struct{ Operation domain.Operation }
	decode(t, r, &reply)
	if leaves := f.requestsTo("DELETE", membersPath+"/east"); reply.Operation.Kind != domain.OpLeaveClusterSet ||
		len(leaves) != 1 || leaves[0].query != "decision_timeout=2h" || len(leaves[0].body) != 0 {
		t.Errorf("clustersets leave sent %+v, printed %+v", leaves, reply.Operation)
	}
	f.script("DELETE", membersPath+"/lead", http.StatusConflict, map[string]any{"title": "Conflict", "status": 409,
		"detail": "cluster lead leads clusterset cs1 and cannot leave it; disband the set instead (DELETE /api/v1/clustersets/cs1)"})
	if r = cwctl(t, "clustersets", "leave", "cs1", "lead"); r.code != 2 || !strings.Contains(r.stderr, "cannot leave it; disband the set instead") {
		t.Errorf("the leader's leave: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clustersets", "leave", "cs1"); r.code != 2 || !strings.Contains(r.stderr, "usage: cwctl clustersets leave NAME CLUSTER") {
		t.Errorf("leave without CLUSTER: exit %d %q", r.code, r.stderr)
	}

	// delete: DELETE /clustersets/NAME, followed with --wait to a failure: exit 1.
	f.script("DELETE", "/api/v1/clustersets/cs1", http.StatusAccepted, startedOp("clusterset.disband"))
	disband := []any{"kind", "clusterset.disband", "target", map[string]any{"kind": "clusterset", "id": "set-1", "name": "cs1"}}
	f.append(
		opEvent("Running", 1, disband...),
		stepEvent(0, "leave-east", "Running", 1, 1, ""),
		stepEvent(0, "leave-east", "Failed", 3, 2, "east: the API server does not answer"),
		opEvent("Failed", 2, append(disband, "error", "leave-east: east: the API server does not answer", "finished_at", at(2))...),
	)
	r = cwctl(t, "clustersets", "delete", "cs1", "--wait", "--on-failure", "compensate")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "operation "+opID+": clusterset.disband clusterset/cs1 Pending\n") ||
		!strings.Contains(r.stdout, "leave-east                      Failed     attempts=3  error: east: the API server does not answer\n") ||
		!strings.HasSuffix(r.stdout, "operation "+opID+" Failed\n") ||
		r.stderr != "error: operation "+opID+" (clusterset.disband cs1) ended Failed: leave-east: east: the API server does not answer\n" {
		t.Errorf("clustersets delete --wait of a disband that fails: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if dels := f.requestsTo("DELETE", "/api/v1/clustersets/cs1"); len(dels) != 1 || dels[0].query != "on_failure=compensate" {
		t.Errorf("clustersets delete sent %+v", dels)
	}
	f.script("DELETE", "/api/v1/clustersets/cs1", http.StatusConflict, busy)
	if r = cwctl(t, "clustersets", "delete", "cs1"); r.code != 2 || !strings.Contains(r.stderr, "running operation: "+opID) {
		t.Errorf("a disband while the set is busy: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clustersets", "delete", "cs1", "--on-failure", "never"); r.code != 2 || !strings.Contains(r.stderr, "--on-failure: must be wait or compensate") {
		t.Errorf("a bad --on-failure: exit %d %q", r.code, r.stderr)
	}
	if n := len(f.requestsTo("DELETE", "/api/v1/clustersets/cs1")); n != 2 {
		t.Errorf("clustersets delete sent %d requests, want 2 (a bad flag sends none)", n)
	}
}

// TestClusterSetHelpAndCompletion: help with the use line and examples; completion of
// set names, of the members that may leave, of clusters for --cluster and of the nodes
// of that cluster for --gateway.
func TestClusterSetHelpAndCompletion(t *testing.T) {
	f := newFakeAPI(t)
	r := ok(t, "clustersets", "create", "--help")
	for _, want := range []string{"cwctl clustersets create -f FILE [--decision-timeout DURATION] [--on-failure MODE] [--wait] [-o table|json|yaml]",
		"Examples:", "  name: cs1\n  leader: lead\n  members: [east, west]\n", "cwctl clustersets create -f cs1.yaml --wait"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("clustersets create --help lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ok(t, "help")
	for _, want := range []string{
		"cwctl clustersets list [-o table|json|yaml]",
		"cwctl clustersets get NAME [-o table|json|yaml]",
		"cwctl clustersets join NAME --cluster CLUSTER [--decision-timeout DURATION] [--gateway NODE ...] [--on-failure MODE] [--wait] [-o table|json|yaml]",
		"cwctl clustersets leave NAME CLUSTER [--decision-timeout DURATION] [--on-failure MODE] [--wait] [-o table|json|yaml]",
		"cwctl clustersets delete NAME [--decision-timeout DURATION] [--on-failure MODE] [--wait] [-o table|json|yaml]",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
	if r = ok(t, "clustersets", "join", "--help"); !strings.Contains(r.stdout, "cwctl clustersets join cs1 --cluster east --gateway east-default-0 --gateway east-default-1") {
		t.Errorf("clustersets join --help:\n%s", r.stdout)
	}

	f.lists["/api/v1/clustersets"] = `{"items": [{"name": "cs1"}, {"name": "cs2"}]}`
	f.lists["/api/v1/clusters"] = `{"items": [{"name": "east"}, {"name": "west"}]}`
	f.script("GET", "/api/v1/clustersets/cs1", http.StatusOK, fakeSet())
	f.script("GET", "/api/v1/clusters/west", http.StatusOK, map[string]any{"name": "west", "nodes": []any{
		map[string]any{"name": "west-cp-0", "role": "control-plane"}, map[string]any{"name": "west-default-0", "role": "worker"}}})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"clustersets", "get", ""}, "cs1\ncs2\n:4\n"},
		{[]string{"clustersets", "delete", ""}, "cs1\ncs2\n:4\n"},
		{[]string{"clustersets", "join", ""}, "--cluster\tthe `CLUSTER` that joins\ncs1\ncs2\n:4\n"}, // cobra offers the required flag
		{[]string{"clustersets", "leave", ""}, "cs1\ncs2\n:4\n"},
		{[]string{"clustersets", "leave", "cs1", ""}, "east\nwest\n:4\n"},
		{[]string{"clustersets", "leave", "cs1", "east", ""}, ":4\n"},
		{[]string{"clustersets", "join", "cs1", "--cluster", ""}, "east\nwest\n:4\n"},
		{[]string{"clustersets", "join", "cs1", "--cluster", "west", "--gateway", ""}, "west-cp-0\tcontrol-plane\nwest-default-0\tworker\n:4\n"},
		{[]string{"clustersets", "join", "cs1", "--gateway", ""}, ":4\n"},
	} {
		if r = ok(t, append([]string{"__complete"}, c.args...)...); !strings.HasPrefix(r.stdout, c.want) {
			t.Errorf("completion of %q:\n%s\nwant:\n%s", c.args, r.stdout, c.want)
		}
	}
	if q := f.requestsTo("GET", "/api/v1/clustersets"); len(q) != 4 || q[0].query != "limit=100" {
		t.Errorf("completion of set names asked %+v", q)
	}
}
