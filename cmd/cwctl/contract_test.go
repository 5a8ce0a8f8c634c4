package main

import (
	"encoding/json"
	"fmt"
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

// Tests of the issue 8 commands against fakeAPI, which speaks the contract with scripted
// events and times: the resumable event stream, retry, dev faults. decision_test.go runs
// the same flow against the real server.

const opID = "6f1c2b9e-0000-4000-8000-000000000001"

// at is a time of the scripted provision, min minutes after it started.
func at(min int) string {
	return time.Date(2026, 12, 2, 10, min, 0, 0, time.UTC).Format(time.RFC3339)
}

// opEvent is an "operation" event: the operation without its steps, plus extra fields.
func opEvent(state string, min int, extra ...any) fakeEvent {
	data := map[string]any{"id": opID, "kind": "cluster.provision", "actor": "admin", "state": state,
		"target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}, "workflow_id": "cluster/c1",
		"on_failure": "wait", "decision_timeout": "24h0m0s", "created_at": at(0), "updated_at": at(min)}
	for i := 0; i+1 < len(extra); i += 2 {
		data[extra[i].(string)] = extra[i+1]
	}
	return fakeEvent{"operation", data}
}

// stepEvent is a "step" event: the whole step at index, as of minute min.
func stepEvent(index int, name, state string, attempts, min int, errMsg string, runs ...map[string]any) fakeEvent {
	data := map[string]any{"index": index, "name": name, "state": state, "attempts": attempts}
	if state == "Running" {
		data["started_at"] = at(min)
	} else {
		data["started_at"], data["finished_at"] = at(min-1), at(min)
	}
	if errMsg != "" {
		data["error"] = errMsg
	}
	if runs != nil {
		data["runs"] = runs
	}
	return fakeEvent{"step", data}
}

func stepRunOf(n int, actor, state string) map[string]any {
	return map[string]any{"run": n, "actor": actor, "state": state, "started_at": at(n), "attempts": []any{}}
}

const cloneError = "clone beta-md-default-1: injected fault"

// waitingDecision is the decision of the scripted provision.
var waitingDecision = map[string]any{"step": "create-workers", "reason": cloneError, "since": at(8), "deadline": "2026-12-03T10:08:00Z"}

// untilDecision: a provision whose third step fails and waits for a decision.
func untilDecision() []fakeEvent {
	return []fakeEvent{
		opEvent("Pending", 0),
		stepEvent(0, "preflight", "Running", 1, 1, ""),
		stepEvent(0, "preflight", "Succeeded", 1, 2, "", stepRunOf(1, "admin", "Succeeded")),
		opEvent("Running", 2),
		stepEvent(1, "create-control-plane", "Running", 1, 3, ""),
		stepEvent(1, "create-control-plane", "Succeeded", 1, 5, ""),
		stepEvent(2, "create-workers", "Running", 1, 6, ""),
		stepEvent(2, "create-workers", "Running", 2, 7, cloneError),
		stepEvent(2, "create-workers", "Failed", 3, 8, cloneError, stepRunOf(1, "admin", "Failed")),
		opEvent("AwaitingDecision", 8, "error", cloneError, "decision", waitingDecision),
	}
}

// afterRetry: alice retried; the step and the rest succeed.
func afterRetry() []fakeEvent {
	return []fakeEvent{
		stepEvent(2, "create-workers", "Running", 3, 9, "", stepRunOf(1, "admin", "Failed"), stepRunOf(2, "alice", "Running")),
		opEvent("Running", 9),
		stepEvent(2, "create-workers", "Succeeded", 4, 10, "", stepRunOf(1, "admin", "Failed"), stepRunOf(2, "alice", "Succeeded")),
		stepEvent(3, "install-addons", "Running", 1, 11, ""),
		opEvent("Running", 11),                               // only updated_at changes: nothing to print
		stepEvent(3, "install-addons", "Running", 1, 11, ""), // nothing a line shows changes: nothing to print
		stepEvent(3, "install-addons", "Succeeded", 1, 12, ""),
		opEvent("Succeeded", 12, "finished_at", at(12)),
	}
}

// decisionText is the line that announces the scripted decision.
var decisionText = "2026-12-02T10:08:00Z  create-workers                  AwaitingDecision  step failed: " + cloneError +
	"; decide by 2026-12-03T10:08:00Z (then it compensates by itself): cwctl ops retry " + opID + " --wait, or cwctl ops cancel " + opID

// wholeWatch is what `ops watch` prints for the scripted provision, retried once.
var wholeWatch = strings.Join([]string{
	"2026-12-02T10:01:00Z  preflight                       Running    attempts=1",
	"2026-12-02T10:02:00Z  preflight                       Succeeded  attempts=1",
	"2026-12-02T10:03:00Z  create-control-plane            Running    attempts=1",
	"2026-12-02T10:05:00Z  create-control-plane            Succeeded  attempts=1",
	"2026-12-02T10:06:00Z  create-workers                  Running    attempts=1",
	"2026-12-02T10:07:00Z  create-workers                  Running    attempts=2  error: " + cloneError,
	"2026-12-02T10:08:00Z  create-workers                  Failed     attempts=3  error: " + cloneError,
	decisionText,
	"2026-12-02T10:09:00Z  create-workers                  Running    attempts=3  run=2 by alice",
	"2026-12-02T10:10:00Z  create-workers                  Succeeded  attempts=4  run=2 by alice",
	"2026-12-02T10:11:00Z  install-addons                  Running    attempts=1",
	"2026-12-02T10:12:00Z  install-addons                  Succeeded  attempts=1",
	"operation " + opID + " Succeeded",
}, "\n") + "\n"

// fastStreams shortens the pauses of watching for the test.
func fastStreams(t *testing.T, idle time.Duration) {
	pause, oldIdle := reconnectPause, streamIdle
	reconnectPause, streamIdle = 10*time.Millisecond, idle
	t.Cleanup(func() { reconnectPause, streamIdle = pause, oldIdle })
}

// TestWatchResumesAfterDrop: a stream cut after any event (and one cut several times)
// is resumed with the Last-Event-ID of the last event seen, and the printed lines are
// exactly those of an unbroken stream.
func TestWatchResumesAfterDrop(t *testing.T) {
	fastStreams(t, 5*time.Second)
	events := append(untilDecision(), afterRetry()...)

	f := newFakeAPI(t)
	f.append(events...)
	r := ok(t, "ops", "watch", opID)
	if r.stdout != wholeWatch {
		t.Fatalf("ops watch of an unbroken stream:\n%s\nwant:\n%s", r.stdout, wholeWatch)
	}
	if f.conns != 1 {
		t.Fatalf("an unbroken stream took %d connections", f.conns)
	}

	for cut := 0; cut < len(events); cut++ {
		f := newFakeAPI(t)
		f.drops = []int{cut}
		f.append(events...)
		if r := ok(t, "ops", "watch", opID); r.stdout != wholeWatch {
			t.Fatalf("stream cut after %d events:\n%s\nwant:\n%s", cut, r.stdout, wholeWatch)
		}
		want := []string{"", ""}
		if cut > 0 {
			want[1] = fmt.Sprint(cut)
		}
		if !reflect.DeepEqual(f.lastIDs, want) {
			t.Fatalf("stream cut after %d events: Last-Event-ID per connection %q, want %q", cut, f.lastIDs, want)
		}
	}

	f = newFakeAPI(t)
	f.drops = []int{3, 0, 4, 1, 5} // one connection cut before its first event
	f.append(events...)
	if r := ok(t, "ops", "watch", opID); r.stdout != wholeWatch {
		t.Fatalf("stream cut five times:\n%s\nwant:\n%s", r.stdout, wholeWatch)
	}
	if want := []string{"", "3", "3", "7", "8", "13"}; !reflect.DeepEqual(f.lastIDs, want) {
		t.Fatalf("Last-Event-ID per connection %q, want %q", f.lastIDs, want)
	}

	// Cut on every connection with nothing delivered: watch gives up, exit 1.
	f = newFakeAPI(t)
	f.drops = []int{0, 0, 0, 0, 0, 0, 0}
	f.append(events...)
	if r := cwctl(t, "ops", "watch", opID); r.code != 1 || !strings.Contains(r.stderr, "event stream lost 6 times in a row") {
		t.Fatalf("a stream that always breaks: exit %d %q", r.code, r.stderr)
	}
	// An unknown operation is the API's 404: exit 2, no reconnecting.
	if r := cwctl(t, "ops", "watch", "nope"); r.code != 2 || !strings.Contains(r.stderr, "operation nope not found") {
		t.Fatalf("watch of an unknown operation: exit %d %q", r.code, r.stderr)
	}
}

// TestWatchFollowsAWaitingOperation: `ops watch` of an operation awaiting a decision says
// which step waits, why, until when and how to decide, then keeps following (keep-alives
// hold the connection past the idle limit) until a retry from elsewhere lets it end.
func TestWatchFollowsAWaitingOperation(t *testing.T) {
	fastStreams(t, 300*time.Millisecond) // the fake sends a keep-alive every 50 ms
	f := newFakeAPI(t)
	f.append(untilDecision()...)
	f.onRetry = func(f *fakeAPI) (int, any) {
		f.appendLocked(afterRetry()[:2]...)
		op := f.op
		go f.append(afterRetry()[2:]...)
		return http.StatusAccepted, map[string]any{"operation": op}
	}

	stdout, wait := cwctlAsync(t, "ops", "watch", opID)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "AwaitingDecision") {
		if time.Now().After(deadline) {
			t.Fatalf("no decision line after 10 s:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // longer than the idle limit: the watch stays on its connection
	if !strings.HasSuffix(stdout.String(), decisionText+"\n") {
		t.Fatalf("while waiting, the watch printed:\n%s", stdout.String())
	}

	r := ok(t, "ops", "retry", opID) // from another shell
	if !strings.Contains(r.stdout, "operation "+opID+": cluster.provision cluster/beta Running") {
		t.Errorf("ops retry:\n%s", r.stdout)
	}
	if got := wait(); got.code != 0 || got.stdout != wholeWatch {
		t.Fatalf("the watch after the retry: exit %d\n%s\nwant:\n%s", got.code, got.stdout, wholeWatch)
	}
	if f.conns != 1 {
		t.Fatalf("the watch took %d connections; keep-alives should have held one", f.conns)
	}
	if posts := f.requestsTo("POST", "/api/v1/operations/"+opID+"/retry"); len(posts) != 1 || len(posts[0].body) != 0 {
		t.Fatalf("retry requests: %+v", posts)
	}
}

// TestRetry: 202 prints the operation (or the reply with -o json); --wait follows it
// without announcing the decision it answered, and announces a new one; 409 and 503
// are reported with their exit codes.
func TestRetry(t *testing.T) {
	fastStreams(t, 5*time.Second)

	// Not waiting: 409 with the reason, exit 2.
	f := newFakeAPI(t)
	f.append(append(untilDecision(), afterRetry()...)...)
	r := cwctl(t, "ops", "retry", opID)
	if r.code != 2 || r.stderr != "error: operation "+opID+" is Succeeded, not awaiting a decision\n" {
		t.Fatalf("retry of a Succeeded operation: exit %d %q", r.code, r.stderr)
	}

	// -o json: the 202 reply as the API sent it.
	f = newFakeAPI(t)
	f.append(untilDecision()...)
	f.onRetry = func(f *fakeAPI) (int, any) {
		f.appendLocked(afterRetry()...)
		return http.StatusAccepted, map[string]any{"operation": f.op}
	}
	var reply struct{ Operation domain.Operation }
	decode(t, ok(t, "ops", "retry", opID, "-o", "json"), &reply)
	if reply.Operation.ID != opID || len(reply.Operation.Steps) != 4 || len(reply.Operation.Steps[2].Runs) != 2 ||
		reply.Operation.Steps[2].Runs[1].Actor != "alice" {
		t.Fatalf("ops retry -o json = %+v", reply.Operation)
	}

	// --wait: the whole timeline but the answered decision; a second failure waits anew
	// and, with no decision before the deadline, the operation ends Failed: exit 1.
	f = newFakeAPI(t)
	f.append(untilDecision()...)
	second := map[string]any{"step": "create-workers", "reason": "clone beta-md-default-1: still failing",
		"since": at(10), "deadline": at(40)}
	f.onRetry = func(f *fakeAPI) (int, any) {
		f.appendLocked(
			stepEvent(2, "create-workers", "Running", 3, 9, "", stepRunOf(1, "admin", "Failed"), stepRunOf(2, "alice", "Running")),
			opEvent("Running", 9),
		)
		op := f.op
		f.appendLocked(
			stepEvent(2, "create-workers", "Failed", 5, 10, "clone beta-md-default-1: still failing",
				stepRunOf(1, "admin", "Failed"), stepRunOf(2, "alice", "Failed")),
			opEvent("AwaitingDecision", 10, "decision", second),
			opEvent("Failed", 40, "error", "no decision before the deadline: compensated", "finished_at", at(41)),
		)
		return http.StatusAccepted, map[string]any{"operation": op}
	}
	r = cwctl(t, "ops", "retry", opID, "--wait")
	if r.code != 1 || strings.Contains(r.stdout, decisionText) ||
		strings.Count(r.stdout, "AwaitingDecision  step failed: clone beta-md-default-1: still failing; decide by 2026-12-02T10:40:00Z") != 1 ||
		!strings.Contains(r.stdout, "create-workers                  Failed     attempts=5  run=2 by alice  error: clone beta-md-default-1: still failing\n") ||
		!strings.HasSuffix(r.stdout, "operation "+opID+" Failed\n") ||
		!strings.Contains(r.stderr, "ended Failed: no decision before the deadline: compensated") {
		t.Fatalf("ops retry --wait of a step that fails again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// 503: no worker took the decision in time; exit 1, try later.
	f = newFakeAPI(t)
	f.append(untilDecision()...)
	f.onRetry = func(*fakeAPI) (int, any) {
		return http.StatusServiceUnavailable, map[string]any{"title": "Service Unavailable", "status": 503,
			"detail": "no worker took the decision in time; retry later", "request_id": "req-1"}
	}
	if r = cwctl(t, "ops", "retry", opID); r.code != 1 || !strings.Contains(r.stderr, "retry later") {
		t.Fatalf("retry answered 503: exit %d %q", r.code, r.stderr)
	}
}

// TestOperationViews: ops get shows the decision and each run of a retried step; -o
// yaml is the API's reply as YAML; ops list passes its filters and checks the times.
func TestOperationViews(t *testing.T) {
	f := newFakeAPI(t)
	f.append(untilDecision()...)
	r := ok(t, "ops", "get", opID)
	for _, want := range []string{`state:\s+AwaitingDecision`, `on failure:\s+wait, decide within 24h0m0s`,
		`waiting on step:\s+create-workers`, `because:\s+` + regexp.QuoteMeta(cloneError), `deadline:\s+2026-12-03T10:08:00Z`,
		`retry the step:\s+cwctl ops retry ` + opID + ` --wait`, `(?m)^create-workers\s+Failed\s+3\s+1\s`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("ops get of a waiting operation lacks %q:\n%s", want, r.stdout)
		}
	}
	f.append(afterRetry()...)
	r = ok(t, "ops", "get", opID)
	if !regexp.MustCompile(`(?m)^create-workers\s+1\s+admin\s+Failed\s`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^create-workers\s+2\s+alice\s+Succeeded\s`).MatchString(r.stdout) {
		t.Errorf("ops get of a retried operation shows no runs:\n%s", r.stdout)
	}

	var fromYAML map[string]any
	r = ok(t, "ops", "get", opID, "-o", "yaml")
	if err := yaml.Unmarshal([]byte(r.stdout), &fromYAML); err != nil {
		t.Fatalf("ops get -o yaml: %v\n%s", err, r.stdout)
	}
	f.mu.Lock()
	want, _ := json.Marshal(f.op)
	f.mu.Unlock()
	var wantMap map[string]any
	json.Unmarshal(want, &wantMap)
	if !reflect.DeepEqual(fromYAML, wantMap) {
		t.Fatalf("ops get -o yaml = %v\nwant %v", fromYAML, wantMap)
	}

	ok(t, "ops", "list", "--cluster", "beta", "--kind", "cluster.provision", "--state", "AwaitingDecision",
		"--actor", "alice", "--since", "2026-12-01T00:00:00Z", "--until", "2026-12-02T00:00:00+01:00")
	lists := f.requestsTo("GET", "/api/v1/operations")
	if len(lists) != 1 || lists[0].query != "actor=alice&cluster=beta&kind=cluster.provision&limit=500&since=2026-12-01T00%3A00%3A00Z&state=AwaitingDecision&until=2026-12-02T00%3A00%3A00%2B01%3A00" {
		t.Fatalf("ops list requests: %+v", lists)
	}
	if r = cwctl(t, "ops", "list", "--since", "yesterday"); r.code != 2 || !strings.Contains(r.stderr, "--since: want an RFC 3339 time") {
		t.Fatalf("ops list --since yesterday: exit %d %q", r.code, r.stderr)
	}
	if n := len(f.requestsTo("GET", "/api/v1/operations")); n != 1 {
		t.Fatalf("a refused --since sent a request")
	}
}

// TestDevFaults: list, add, clear against /dev/faults; a bad fault names the field
// (exit 2); outside dev mode the 404 says so.
func TestDevFaults(t *testing.T) {
	f := newFakeAPI(t)
	r := ok(t, "dev", "faults", "add", "vsphere.clone:vm=beta-md-default-1")
	if r.stdout != "fault added: vsphere.clone:vm=beta-md-default-1\n" {
		t.Errorf("dev faults add: %q", r.stdout)
	}
	if adds := f.requestsTo("POST", "/dev/faults"); len(adds) != 1 || string(adds[0].body) != `{"fault":"vsphere.clone:vm=beta-md-default-1"}` {
		t.Fatalf("dev faults add sent %+v", adds)
	}
	r = ok(t, "dev", "faults", "list")
	if !strings.Contains(r.stdout, "FAULT\nvsphere.clone:vm=beta-md-default-1\n") || !strings.Contains(r.stdout, "FIRED\nvsphere.clone #3 on beta-md-default-1\n") ||
		!strings.Contains(r.stdout, "kinds: vsphere.clone, node.boot\n") {
		t.Errorf("dev faults list:\n%s", r.stdout)
	}
	var list faultList
	decode(t, ok(t, "dev", "faults", "list", "-o", "json"), &list)
	if !reflect.DeepEqual(list.Faults, []string{"vsphere.clone:vm=beta-md-default-1"}) {
		t.Errorf("dev faults list -o json = %+v", list)
	}
	r = cwctl(t, "dev", "faults", "add", "nonsense")
	if r.code != 2 || r.stderr != "error: invalid fault\n  fault: want KIND:N or KIND:vm=NAME[,times=T]\n" {
		t.Errorf("a bad fault: exit %d %q", r.code, r.stderr)
	}
	if r = ok(t, "dev", "faults", "clear"); r.stdout != "every fault cleared\n" {
		t.Errorf("dev faults clear: %q", r.stdout)
	}
	if len(f.requestsTo("DELETE", "/dev/faults")) != 1 || len(f.faults) != 0 {
		t.Errorf("dev faults clear did not clear")
	}

	f.devMode = false
	r = cwctl(t, "dev", "faults", "list")
	if r.code != 2 || !strings.Contains(r.stderr, "no such endpoint (run-time faults exist only in `clusterwright dev`)") {
		t.Errorf("dev faults outside dev mode: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "--token", "cw_wrong", "dev", "faults", "clear"); r.code != 2 || strings.Contains(r.stderr, "cw_wrong") {
		t.Errorf("dev faults with a bad token: exit %d %q", r.code, r.stderr)
	}
}

// TestInputFiles: -f takes YAML (sent as the same JSON) or JSON for every create command;
// a YAML error names the file and exits 2 without a request; flags add settings.
func TestInputFiles(t *testing.T) {
	f := newFakeAPI(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	sent := func(path string) map[string]any {
		t.Helper()
		reqs := f.requestsTo("POST", path)
		if len(reqs) == 0 {
			t.Fatalf("nothing sent to %s", path)
		}
		var body map[string]any
		if err := json.Unmarshal(reqs[len(reqs)-1].body, &body); err != nil {
			t.Fatalf("%s got no JSON: %v %q", path, err, reqs[len(reqs)-1].body)
		}
		return body
	}

	spec := write("beta.yaml", "# a cluster\nname: beta\nvcenter: sim\ncontrol_plane: {replicas: 1, cpus: 2, memory_mib: 4096}\n"+
		"worker_pools:\n  - name: default\n    replicas: 2\nnetwork:\n  ip_pool: sim\n")
	r := ok(t, "clusters", "create", "-f", spec)
	if startedID(t, r) != "op-beta" {
		t.Errorf("clusters create:\n%s", r.stdout)
	}
	want := map[string]any{"name": "beta", "vcenter": "sim",
		"control_plane": map[string]any{"replicas": 1.0, "cpus": 2.0, "memory_mib": 4096.0},
		"worker_pools":  []any{map[string]any{"name": "default", "replicas": 2.0}}, "network": map[string]any{"ip_pool": "sim"}}
	if got := sent("/api/v1/clusters"); !reflect.DeepEqual(got, want) {
		t.Fatalf("clusters create -f YAML sent %v\nwant %v", got, want)
	}
	ok(t, "clusters", "create", "--filename", spec, "--on-failure", "compensate", "--decision-timeout", "30m")
	want["on_failure"], want["decision_timeout"] = "compensate", "30m"
	if got := sent("/api/v1/clusters"); !reflect.DeepEqual(got, want) {
		t.Fatalf("clusters create with decision flags sent %v", got)
	}
	ok(t, "clusters", "create", "-f", write("beta.json", `{"name": "beta", "vcenter": "sim"}`))
	if got := sent("/api/v1/clusters"); !reflect.DeepEqual(got, map[string]any{"name": "beta", "vcenter": "sim"}) {
		t.Fatalf("clusters create -f JSON sent %v", got)
	}

	r = ok(t, "ippools", "create", "-f", write("lab.yml", "name: lab\ncidr: 10.0.0.0/24\ndns: [10.0.0.53]\n"))
	if got := sent("/api/v1/ippools"); got["name"] != "lab" || !reflect.DeepEqual(got["dns"], []any{"10.0.0.53"}) || !strings.Contains(r.stdout, "ippool lab created") {
		t.Fatalf("ippools create -f YAML sent %v, printed %q", got, r.stdout)
	}
	r = ok(t, "vcenters", "create", "-f", write("vc.yaml", "name: vc2\nserver: vc.example.com\ninsecure: true\npassword: \"0123\"\n"), "-o", "yaml")
	if got := sent("/api/v1/vcenters"); got["insecure"] != true || got["password"] != "0123" {
		t.Fatalf("vcenters create -f YAML sent %v", got)
	}
	var created map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &created); err != nil || created["operation"] == nil {
		t.Fatalf("vcenters create -o yaml printed %q (%v)", r.stdout, err)
	}

	before := len(f.requestsTo("POST", "/api/v1/clusters"))
	bad := write("bad.yaml", "name: beta\nworker_pools:\n  - name: default\n   replicas: 2\n")
	if r = cwctl(t, "clusters", "create", "-f", bad); r.code != 2 || !strings.HasPrefix(r.stderr, "error: -f "+bad+": neither YAML nor JSON: ") ||
		!strings.Contains(r.stderr, "yaml: line 3: ") {
		t.Fatalf("a YAML syntax error: exit %d %q", r.code, r.stderr)
	}
	for name, text := range map[string]string{"two.yaml": "name: a\n---\nname: b\n", "list.yaml": "- name: a\n", "empty.yaml": ""} {
		if r = cwctl(t, "clusters", "create", "-f", write(name, text)); r.code != 2 || !strings.Contains(r.stderr, "-f "+filepath.Join(dir, name)+": ") {
			t.Fatalf("-f %s: exit %d %q", name, r.code, r.stderr)
		}
	}
	if r = cwctl(t, "clusters", "create", "-f", spec, "--on-failure", "later"); r.code != 2 || !strings.Contains(r.stderr, "--on-failure: must be wait or compensate") {
		t.Fatalf("a bad --on-failure: exit %d %q", r.code, r.stderr)
	}
	if after := len(f.requestsTo("POST", "/api/v1/clusters")); after != before {
		t.Fatalf("refused files sent %d requests", after-before)
	}
}

// TestHelpAndCompletion: help per command with its example; the completion scripts of
// bash, zsh and fish; completion of names, operation ids and -o from the API.
func TestHelpAndCompletion(t *testing.T) {
	f := newFakeAPI(t)
	r := ok(t, "clusters", "create", "--help")
	for _, want := range []string{"cwctl clusters create -f FILE [--decision-timeout DURATION] [--on-failure MODE] [--wait] [-o table|json|yaml]",
		"Examples:", "  # dev-east.yaml\n  name: dev-east\n", "cwctl clusters create -f dev-east.yaml --wait", "--token string"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("clusters create --help lacks %q:\n%s", want, r.stdout)
		}
	}
	if r = ok(t, "help", "ops", "retry"); !strings.Contains(r.stdout, "cwctl ops retry ID [--wait] [-o table|json|yaml]") {
		t.Errorf("help ops retry:\n%s", r.stdout)
	}
	if r = ok(t, "ops"); !strings.Contains(r.stdout, "Available Commands:") || !strings.Contains(r.stdout, "retry") {
		t.Errorf("ops alone:\n%s", r.stdout)
	}

	for shell, marker := range map[string]string{"bash": "__start_cwctl", "zsh": "#compdef cwctl", "fish": "complete -c cwctl"} {
		if r = ok(t, "completion", shell); !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s lacks %q:\n%.300s", shell, marker, r.stdout)
		}
	}

	f.lists["/api/v1/clusters"] = `{"items": [{"name": "alpha"}, {"name": "beta"}]}`
	f.lists["/api/v1/operations"] = `{"items": [{"id": "` + opID + `", "kind": "cluster.provision", "state": "AwaitingDecision", "target": {"kind": "cluster", "name": "beta"}}]}`
	if r = ok(t, "__complete", "clusters", "get", ""); !strings.HasPrefix(r.stdout, "alpha\nbeta\n:4\n") {
		t.Errorf("completion of a cluster name:\n%s", r.stdout)
	}
	if r = ok(t, "__complete", "ops", "retry", ""); !strings.HasPrefix(r.stdout, opID+"\tcluster.provision beta AwaitingDecision\n:4\n") {
		t.Errorf("completion of an operation id:\n%s", r.stdout)
	}
	if q := f.requestsTo("GET", "/api/v1/operations"); len(q) != 1 || q[0].query != "limit=100&state=AwaitingDecision" {
		t.Errorf("completion of ops retry asked %+v", q)
	}
	if r = ok(t, "__complete", "clusters", "list", "-o", ""); !strings.HasPrefix(r.stdout, "table\njson\nyaml\n:4\n") {
		t.Errorf("completion of -o:\n%s", r.stdout)
	}
}
