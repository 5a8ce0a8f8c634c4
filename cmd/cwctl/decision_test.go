package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// provisionLimit bounds a provision on the simulated datacenter, followed to its end.
const provisionLimit = 8 * time.Minute

// smallSpecYAML is the cheapest cluster the spec allows, as a person would write it: one
// control plane, no workers, no KubeSphere (Antrea, the vSphere CPI and CSI are always
// installed). Its nodes take addresses 127.83.0.x (see the pool in the test).
const smallSpecYAML = `name: %s
vcenter: vc1
placement:
  datacenter: %s
  compute_cluster: %s
  datastore: %s
  network: %s
  template: %s
control_plane: {replicas: 1, cpus: 2, memory_mib: 4096, disk_gib: 40}
network: {ip_pool: lab, pod_cidr: 10.10.0.0/16, service_cidr: 10.96.0.0/16}
`

// TestDecisionFlowAgainstTheRealStack drives a waiting operation end to end with cwctl
// against the real API on a simulated datacenter: the control plane's clone fails, so
// the provision started by `clusters create -f spec.yaml` waits for a decision, which
// `ops watch` announces naming the step; once the fault is cleared, `ops retry --wait`
// by an operator follows it to Succeeded (exit 0); a second retry is the API's 409 (exit
// 2); `ops get` shows the step's failed and retried runs with who started each. A watch
// whose connection is cut every few events prints exactly what an unbroken one prints.
func TestDecisionFlowAgainstTheRealStack(t *testing.T) {
	const name = "beta"
	spec := domain.ClusterSpec{Name: name, ControlPlane: domain.NodeShape{Replicas: 1}}
	faults := sim.NewFaults()
	controlPlane := domain.PlanNodes(spec)[0].Name
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, VM: controlPlane}); err != nil {
		t.Fatal(err)
	}
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, VCenter: sim.VCenterOptions{Faults: faults},
		Interceptors: []interceptor.WorkerInterceptor{apptest.FastRetries()}})
	env.RegisterVCenter("vc1")
	env.CreateIPPool(domain.IPPoolInput{Name: "lab", CIDR: "127.83.0.0/24", RangeStart: "127.83.0.10",
		RangeEnd: "127.83.0.250", Gateway: "127.83.0.1", DNS: []string{"127.0.0.53"}})
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, env.AdminToken)
	fastStreams(t, streamIdle) // reconnect at once after a cut

	file := filepath.Join(t.TempDir(), "spec.yaml")
	yaml := fmt.Sprintf(smallSpecYAML, name, sim.DefaultDatacenter, sim.DefaultCluster, sim.DefaultDatastore, sim.DefaultNetwork, sim.DefaultTemplate)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ok(t, "clusters", "create", "-f", file)
	id := startedID(t, r)
	if !strings.Contains(r.stdout, "operation "+id+": cluster.provision cluster/"+name+" ") {
		t.Errorf("clusters create:\n%s", r.stdout)
	}

	// Two watches from the start: one straight to the API, one whose connection a proxy
	// cuts every 3 events, mid-event.
	proxy := newCutProxy(t, env.URL, 3)
	watchStarted := time.Now()
	unbroken, resumed := make(chan result, 1), make(chan result, 1)
	go func() { unbroken <- cwctlWithin(t, 2*provisionLimit, "ops", "watch", id) }()
	go func() { resumed <- cwctlWithin(t, 2*provisionLimit, "--url", proxy.URL, "ops", "watch", id) }()

	// The provision waits on the control plane's step; ops get says so and how to decide.
	waiting := env.WaitOperationFor(id, provisionLimit)
	if waiting.State != domain.OpAwaitingDecision || waiting.Decision == nil || waiting.Decision.Step != workflows.StepCreateControlPlane {
		t.Fatalf("provision = %s (%s), decision %+v; want AwaitingDecision on %s", waiting.State, waiting.Error, waiting.Decision, workflows.StepCreateControlPlane)
	}
	r = ok(t, "ops", "get", id)
	for _, want := range []string{
		`(?m)^state:\s+AwaitingDecision$`,
		`(?m)^on failure:\s+wait, decide within 24h0m0s$`,
		`(?m)^waiting on step:\s+` + workflows.StepCreateControlPlane + `$`,
		`(?m)^because:\s+\S.*` + regexp.QuoteMeta(controlPlane),
		`(?m)^retry the step:\s+cwctl ops retry ` + id + ` --wait$`,
		`(?m)^or cancel:\s+cwctl ops cancel ` + id + `$`,
		`(?m)^` + workflows.StepPreflight + `\s+Succeeded\s+1\s+1\s`,
		`(?m)^` + workflows.StepCreateControlPlane + `\s+Failed\s+[2-9]\d*\s+1\s+\S+Z\s+\S+Z\s+\S`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("ops get of the waiting provision does not match %s", want)
		}
	}
	if strings.Contains(r.stdout, "RUN ") {
		t.Errorf("ops get shows runs of a step nobody retried:\n%s", r.stdout)
	}
	if r = ok(t, "ops", "list", "--state", domain.OpAwaitingDecision); !regexp.MustCompile(`(?m)^` + id + `\s+cluster.provision\s+cluster/` + name + `\s+AwaitingDecision\s+admin\s`).MatchString(r.stdout) {
		t.Errorf("ops list --state AwaitingDecision:\n%s", r.stdout)
	}

	// An operator retries once the fault is gone, and follows the rest to the end.
	faults.Reset()
	t.Setenv(envToken, env.Token("olga", domain.RoleOperator))
	r = cwctlWithin(t, provisionLimit, "ops", "retry", id, "--wait")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "operation "+id+": cluster.provision cluster/"+name+" Running\n") ||
		!regexp.MustCompile(`(?m)^\S+Z\s+`+workflows.StepCreateControlPlane+`\s+Succeeded\s+attempts=\d+\s+run=2 by olga$`).MatchString(r.stdout) ||
		!strings.HasSuffix(r.stdout, "operation "+id+" Succeeded\n") {
		t.Fatalf("ops retry --wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, domain.OpAwaitingDecision) {
		t.Errorf("ops retry --wait announced the decision it answered:\n%s", r.stdout)
	}
	r = cwctl(t, "ops", "retry", id)
	if r.code != 2 || !regexp.MustCompile(`^error: operation `+id+` .*not awaiting a decision.*\bSucceeded\b.*\n$`).MatchString(r.stderr) {
		t.Errorf("second retry: exit %d %q", r.code, r.stderr)
	}
	t.Setenv(envToken, env.AdminToken)

	// The step's two runs, as JSON and as a table.
	var op domain.Operation
	decode(t, ok(t, "ops", "get", id, "-o", "json"), &op)
	var step domain.Step
	for _, s := range op.Steps {
		if s.Name == workflows.StepCreateControlPlane {
			step = s
		}
	}
	if op.State != domain.OpSucceeded || op.Decision != nil || step.State != domain.StepSucceeded || len(step.Runs) != 2 {
		t.Fatalf("ops get -o json = %s, decision %+v, step %+v", op.State, op.Decision, step)
	}
	first, second := step.Runs[0], step.Runs[1]
	if first.Run != 1 || first.Actor != "admin" || first.State != domain.StepFailed || len(first.Attempts) < 2 || first.Error == "" {
		t.Errorf("first run = %+v", first)
	}
	if second.Run != 2 || second.Actor != "olga" || second.State != domain.StepSucceeded || len(second.Attempts) != 1 {
		t.Errorf("retried run = %+v", second)
	}
	if step.Attempts != len(first.Attempts)+len(second.Attempts) {
		t.Errorf("step attempts = %d, runs have %d and %d", step.Attempts, len(first.Attempts), len(second.Attempts))
	}
	r = ok(t, "ops", "get", id)
	for _, want := range []string{
		`(?m)^state:\s+Succeeded$`,
		`(?m)^` + workflows.StepCreateControlPlane + `\s+Succeeded\s+` + strconv.Itoa(step.Attempts) + `\s+2\s`,
		`(?m)^STEP\s+RUN\s+BY\s+STATE\s+ATTEMPTS\s+STARTED\s+FINISHED\s+ERROR$`,
		`(?m)^` + workflows.StepCreateControlPlane + `\s+1\s+admin\s+Failed\s+` + strconv.Itoa(len(first.Attempts)) + `\s+\S+Z\s+\S+Z\s+\S`,
		`(?m)^` + workflows.StepCreateControlPlane + `\s+2\s+olga\s+Succeeded\s+1\s+\S+Z\s+\S+Z\s+-$`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("ops get of the retried provision does not match %s", want)
		}
	}
	if strings.Contains(r.stdout, "waiting on step") {
		t.Errorf("ops get of the ended provision shows a decision:\n%s", r.stdout)
	}

	// The watch announced the decision once, naming the step, and followed on to the end.
	whole := <-unbroken
	t.Logf("the watches took %s", time.Since(watchStarted).Round(time.Second))
	decisionLine := regexp.MustCompile(`(?m)^\S+Z\s+` + workflows.StepCreateControlPlane + `\s+AwaitingDecision\s+step failed: .*` +
		regexp.QuoteMeta(controlPlane) + `.*; decide by \S+Z \(then it compensates by itself\): cwctl ops retry ` + id +
		` --wait, or cwctl ops cancel ` + id + `$`)
	if whole.code != 0 || len(decisionLine.FindAllString(whole.stdout, -1)) != 1 ||
		!regexp.MustCompile(`(?m)^\S+Z\s+`+workflows.StepCreateControlPlane+`\s+Failed\s+attempts=\d+\s+error: `).MatchString(whole.stdout) ||
		!strings.HasSuffix(whole.stdout, "\noperation "+id+" Succeeded\n") {
		t.Fatalf("ops watch: exit %d\n%s%s", whole.code, whole.stdout, whole.stderr)
	}
	// Each line is a change: no step that has started but has no attempt yet, and the
	// error of a retried attempt once, not on every next attempt. The retried run comes
	// after the decision, and says so by its time too.
	decided := regexp.MustCompile(`(?m)^(\S+Z)\s+` + workflows.StepCreateControlPlane + `\s+AwaitingDecision\s`).FindStringSubmatch(whole.stdout)
	retried := regexp.MustCompile(`(?m)^(\S+Z)\s+` + workflows.StepCreateControlPlane + `\s+Running\s+attempts=\d+\s+run=2 by olga$`).FindStringSubmatch(whole.stdout)
	if decided == nil || retried == nil || retried[1] < decided[1] ||
		strings.Index(whole.stdout, retried[0]) < strings.Index(whole.stdout, decided[0]) {
		t.Errorf("ops watch: the retried run (%q) does not follow the decision (%q)", retried, decided)
	}
	if strings.Contains(whole.stdout, "attempts=0") {
		t.Errorf("ops watch prints steps that have not started an attempt:\n%s", whole.stdout)
	}
	if n := regexp.MustCompile(`(?m)^\S+Z\s+`+workflows.StepCreateControlPlane+`\s+Running\s.*error: `).FindAllString(whole.stdout, -1); len(n) != 1 {
		t.Errorf("ops watch shows the retried attempts' error %d times on Running lines, want once:\n%s", len(n), whole.stdout)
	}

	// Cut every 3 events (or keep-alives), it printed the same, resuming each time after
	// the last whole event.
	cut := <-resumed
	if cut.code != 0 || cut.stdout != whole.stdout {
		t.Errorf("watch through cuts: exit %d\n%s%s\nunbroken watch:\n%s", cut.code, cut.stdout, cut.stderr, whole.stdout)
	}
	from := proxy.resumedFrom()
	if len(from) < 5 || from[0] != "" {
		t.Fatalf("event stream requests through the proxy, by Last-Event-ID: %q", from)
	}
	t.Logf("the cut watch connected %d times, resuming after events %q", len(from), from[1:])
	for i := 1; i < len(from); i++ {
		prev, _ := strconv.Atoi(from[i-1])
		if n, err := strconv.Atoi(from[i]); err != nil || n < prev {
			t.Fatalf("reconnection %d resumed from %q after %q: %q", i, from[i], from[i-1], from)
		}
	}
	// Replayed from the log once it ended, the watch prints the same lines again.
	if again := ok(t, "ops", "watch", id); again.stdout != whole.stdout {
		t.Errorf("ops watch of the ended provision:\n%s\nlive:\n%s", again.stdout, whole.stdout)
	}
}
