package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// result is one cwctl run.
type result struct {
	stdout, stderr string
	code           int
}

// cwctl runs the command in process, as the binary would, with the environment of the
// test, and gives it 3 minutes.
func cwctl(t *testing.T, args ...string) result {
	t.Helper()
	return cwctlWithin(t, 3*time.Minute, args...)
}

// cwctlWithin is cwctl with another time limit, e.g. for a provision followed to its end.
// It does not stop the test, so it may run in a goroutine.
func cwctlWithin(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	code := runMain(ctx, args, &out, &errOut)
	t.Logf("cwctl %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return result{out.String(), errOut.String(), code}
}

// ok runs cwctl and fails the test unless it exits 0.
func ok(t *testing.T, args ...string) result {
	t.Helper()
	r := cwctl(t, args...)
	if r.code != 0 {
		t.Fatalf("cwctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// decode unmarshals a -o json output.
func decode(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
}

func writeJSON(t *testing.T, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var operationLine = regexp.MustCompile(`(?m)^operation (\S+): `)

// startedID is the operation id that a command without --wait printed.
func startedID(t *testing.T, r result) string {
	t.Helper()
	m := operationLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no started operation in the output:\n%s", r.stdout)
	}
	return m[1]
}

func validSpec(name string) domain.ClusterSpec {
	return domain.ClusterSpec{
		Name: name, VCenter: "vc1",
		Placement: domain.Placement{Datacenter: sim.DefaultDatacenter, ComputeCluster: sim.DefaultCluster,
			Datastore: sim.DefaultDatastore, Network: sim.DefaultNetwork, Template: sim.DefaultTemplate},
		ControlPlane: domain.NodeShape{Replicas: 1, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools:  []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}},
		Network:      domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
	}
}

// TestCLIAgainstTheRealStack drives every command group through the real API (Postgres,
// Temporal, worker, vcsim; no Kubernetes): register and sync a vCenter, a pool, a refused
// and an accepted cluster, operations listed, watched and canceled, the kubeconfig and
// the audit log. The token appears in no output.
func TestCLIAgainstTheRealStack(t *testing.T) {
	env := apptest.Start(t)
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, env.AdminToken)
	var outputs []result
	run := func(args ...string) result {
		t.Helper()
		r := ok(t, args...)
		outputs = append(outputs, r)
		return r
	}

	// A vCenter from a file, its first sync followed to the end.
	vc := env.VCenterInput("vc1")
	r := run("vcenters", "create", "-f", writeJSON(t, "vc1.json", vc), "--wait")
	if !strings.Contains(r.stdout, "vcenter vc1 registered") ||
		!regexp.MustCompile(`(?m)^\S+Z\s+`+workflows.StepCollectInventory+`\s+Succeeded\s+attempts=1$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^operation \S+ Succeeded$`).MatchString(r.stdout) {
		t.Fatalf("vcenters create --wait:\n%s", r.stdout)
	}
	r = run("vcenters", "sync", "vc1", "--wait")
	if !strings.Contains(r.stdout, workflows.StepCollectInventory) || !strings.HasSuffix(r.stdout, " Succeeded\n") {
		t.Fatalf("vcenters sync --wait:\n%s", r.stdout)
	}
	if r = run("vcenters", "list"); !strings.Contains(r.stdout, "vc1") || !strings.Contains(r.stdout, env.VCenter.URL().Host) {
		t.Errorf("vcenters list:\n%s", r.stdout)
	}
	if r = run("vcenters", "inventory", "vc1"); !strings.Contains(r.stdout, sim.DefaultTemplate) || !strings.Contains(r.stdout, sim.DefaultDatastore) {
		t.Errorf("vcenters inventory:\n%s", r.stdout)
	}

	// The cluster account's password rotated in vCenter, then here, read from a file.
	rotated := "rotated-" + env.VCenter.ClusterPassword
	if err := env.VCenter.SetPassword(env.VCenter.ClusterUsername, rotated); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "cluster.pw")
	if err := os.WriteFile(pwFile, []byte(rotated+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run("vcenters", "update", "vc1", "--cluster-password-file", pwFile, "--wait")
	if !strings.Contains(r.stdout, workflows.StepListClusters) || !strings.HasSuffix(r.stdout, " Succeeded\n") || strings.Contains(r.stdout, rotated) {
		t.Fatalf("vcenters update --wait:\n%s", r.stdout)
	}
	if r = run("vcenters", "get", "vc1"); !strings.Contains(r.stdout, env.VCenter.ClusterUsername) {
		t.Errorf("vcenters get:\n%s", r.stdout)
	}
	if got := cwctl(t, "vcenters", "update", "vc1"); got.code != 2 || !strings.Contains(got.stderr, "nothing to change") {
		t.Errorf("vcenters update without a change: %d %s", got.code, got.stderr)
	}

	// An IP pool.
	pool := domain.IPPoolInput{Name: "lab", CIDR: "127.71.0.0/24", RangeStart: "127.71.0.10", RangeEnd: "127.71.0.250", Gateway: "127.71.0.1"}
	if r = run("ippools", "create", "-f", writeJSON(t, "pool.json", pool)); !strings.Contains(r.stdout, "ippool lab created") {
		t.Errorf("ippools create:\n%s", r.stdout)
	}
	var gotPool domain.IPPool
	decode(t, run("ippools", "get", "lab", "-o", "json"), &gotPool)
	if gotPool.Name != "lab" || gotPool.Size != 241 || gotPool.Free != 241 {
		t.Errorf("ippools get lab = %+v", gotPool)
	}

	// A bad spec: exit 2, the problem's detail and one line per bad field; nothing created.
	bad := validSpec("dev-east")
	bad.ControlPlane.Replicas, bad.ControlPlane.CPUs = 2, 1
	bad.Addons.KubeSphere = &domain.KubeSphereSpec{Enabled: true, Role: domain.KubeSphereMember}
	r = cwctl(t, "clusters", "create", "-f", writeJSON(t, "bad.json", bad))
	if r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") ||
		!regexp.MustCompile(`(?m)^  addons\.kubesphere\.host: is required for role member`).MatchString(r.stderr) ||
		!regexp.MustCompile(`(?m)^  control_plane\.replicas: .+$`).MatchString(r.stderr) ||
		!regexp.MustCompile(`(?m)^  control_plane\.cpus: .+$`).MatchString(r.stderr) {
		t.Fatalf("clusters create with a bad spec: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var clusters struct{ Items []domain.Cluster }
	decode(t, run("clusters", "list", "-o", "json"), &clusters)
	if len(clusters.Items) != 0 {
		t.Fatalf("the refused spec created %+v", clusters.Items)
	}

	// A good spec: the provision starts; the cluster is listed and readable as JSON.
	good := validSpec("dev-east")
	good.Addons.KubeSphere = &domain.KubeSphereSpec{Enabled: true}
	r = run("clusters", "create", "-f", writeJSON(t, "good.json", good))
	provision := startedID(t, r)
	decode(t, run("clusters", "list", "-o", "json"), &clusters)
	if len(clusters.Items) != 1 || clusters.Items[0].Name != "dev-east" || clusters.Items[0].Spec.WorkerPools[0].Replicas != 2 {
		t.Fatalf("clusters list -o json = %+v", clusters.Items)
	}
	var c domain.Cluster
	decode(t, run("clusters", "get", "dev-east", "-o", "json"), &c)
	if c.ID != clusters.Items[0].ID || c.Spec.KubernetesVersion != domain.KubernetesVersions().Default || c.VCenter != "vc1" {
		t.Fatalf("clusters get -o json = %+v", c)
	}
	if r = run("clusters", "get", "dev-east"); !regexp.MustCompile(`(?m)^phase:\s+(Pending|Provisioning)`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^kubesphere:\s+host$`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^clusterset:\s+-$`).MatchString(r.stdout) {
		t.Errorf("clusters get:\n%s", r.stdout)
	}

	// Operations: filtered lists, one read, and a watch of the (ended) sync.
	var ops struct{ Items []domain.Operation }
	decode(t, run("ops", "list", "--kind", domain.OpSyncInventory, "-o", "json"), &ops)
	if len(ops.Items) != 2 {
		t.Fatalf("ops list --kind %s: %d operations, want 2", domain.OpSyncInventory, len(ops.Items))
	}
	sync := ops.Items[0].ID
	decode(t, run("ops", "list", "--cluster", "dev-east", "-o", "json"), &ops)
	if len(ops.Items) != 1 || ops.Items[0].ID != provision || ops.Items[0].Kind != domain.OpProvisionCluster {
		t.Fatalf("ops list --cluster dev-east = %+v", ops.Items)
	}
	if r = run("ops", "list", "--state", "Succeeded"); strings.Count(r.stdout, domain.OpSyncInventory) != 2 || strings.Contains(r.stdout, provision) {
		t.Errorf("ops list --state Succeeded:\n%s", r.stdout)
	}
	if r = cwctl(t, "ops", "list", "--state", "Sleeping"); r.code != 2 || !strings.Contains(r.stderr, "  state: must be one of") {
		t.Errorf("ops list with a bad state: exit %d %s", r.code, r.stderr)
	}
	var op domain.Operation
	decode(t, run("ops", "get", sync, "-o", "json"), &op)
	if op.State != domain.OpSucceeded || len(op.Steps) != 1 || op.Steps[0].Name != workflows.StepCollectInventory {
		t.Fatalf("ops get %s = %+v", sync, op)
	}
	if r = run("ops", "get", sync); !regexp.MustCompile(`(?m)^` + workflows.StepCollectInventory + `\s+Succeeded\s+1\s`).MatchString(r.stdout) {
		t.Errorf("ops get:\n%s", r.stdout)
	}
	// The watch of an ended operation prints its step changes (a server with an event log
	// replays them all, one without only the last state), each once, and how it ended.
	r = run("ops", "watch", sync)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if n := len(lines); n < 2 || lines[n-1] != "operation "+sync+" Succeeded" ||
		!regexp.MustCompile(`^\S+Z\s+`+workflows.StepCollectInventory+`\s+Succeeded\s+attempts=1$`).MatchString(lines[n-2]) {
		t.Fatalf("ops watch of the sync:\n%s", r.stdout)
	}
	for i, line := range lines[:len(lines)-1] {
		if !strings.Contains(line, workflows.StepCollectInventory) || i > 0 && line == lines[i-1] {
			t.Fatalf("ops watch of the sync, line %d:\n%s", i, r.stdout)
		}
	}

	decode(t, run("ops", "watch", sync, "-o", "json"), &op)
	if op.ID != sync || op.State != domain.OpSucceeded {
		t.Fatalf("ops watch -o json = %+v", op)
	}
	if r = cwctl(t, "ops", "watch", "00000000-0000-0000-0000-000000000000"); r.code != 2 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("ops watch of an unknown operation: exit %d %q", r.code, r.stderr)
	}

	// Cancel the provision once its addresses are leased; watching it ends with exit 1.
	waitStep(t, provision, workflows.StepAllocateAddresses, domain.StepSucceeded)
	// The endpoint is the control-plane VIP leased from the pool, and clusters get says so.
	decode(t, run("clusters", "get", "dev-east", "-o", "json"), &c)
	decode(t, run("ippools", "get", "lab", "-o", "json"), &gotPool)
	vipHost, _, _ := net.SplitHostPort(c.ControlPlaneEndpoint)
	if !slices.ContainsFunc(gotPool.Leases, func(l domain.IPLease) bool { return l.Owner == "dev-east-vip" && l.Address == vipHost }) {
		t.Errorf("endpoint %q is not the VIP leased in pool lab: %+v", c.ControlPlaneEndpoint, gotPool.Leases)
	}
	if r = run("clusters", "get", "dev-east"); !regexp.MustCompile(`(?m)^endpoint:\s+` + regexp.QuoteMeta(c.ControlPlaneEndpoint) + ` \(virtual IP, kube-vip on the control planes\)$`).MatchString(r.stdout) {
		t.Errorf("clusters get does not show the VIP endpoint %s:\n%s", c.ControlPlaneEndpoint, r.stdout)
	}
	if r = run("ops", "cancel", provision); !strings.Contains(r.stdout, provision) {
		t.Errorf("ops cancel:\n%s", r.stdout)
	}
	r = cwctl(t, "ops", "watch", provision)
	if r.code != 1 || !strings.Contains(r.stdout, workflows.StepAllocateAddresses) ||
		!strings.HasSuffix(r.stdout, "operation "+provision+" Canceled\n") || !strings.Contains(r.stderr, "ended Canceled") {
		t.Fatalf("ops watch of the canceled provision: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	outputs = append(outputs, r)

	// The kubeconfig: 404 for an unknown cluster; for a Ready one (its CA made as a
	// provision makes it) a new personal one, written 0600, valid for --ttl; a bad ttl
	// is refused naming it.
	r = cwctl(t, "clusters", "kubeconfig", "nope")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "nope") || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("kubeconfig of an unknown cluster: exit %d %q", r.code, r.stderr)
	}
	ctx := context.Background()
	if err := (&bootstrap.Source{Store: env.App.Store}).Prepare(ctx, c.ID, "127.0.0.1:6443"); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dev-east.kubeconfig")
	if err := os.WriteFile(file, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("clusters", "kubeconfig", "dev-east", "-o", file, "--ttl", "30m")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := bootstrap.KubeconfigClientCertificate(b)
	if err != nil || cert.Subject.CommonName != domain.KubeUser("admin") ||
		cert.Subject.Organization[0] != domain.RoleAdmin.KubeGroup() {
		t.Fatalf("kubeconfig file: certificate %v %v", cert, err)
	}
	if left := time.Until(cert.NotAfter); left > 30*time.Minute || left < 29*time.Minute {
		t.Errorf("kubeconfig --ttl 30m expires in %s", left)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig file mode: %v %v", fi.Mode(), err)
	}
	r = cwctl(t, "clusters", "kubeconfig", "dev-east", "--ttl", "1000h")
	if r.code != 2 || !strings.Contains(r.stderr, "ttl") || r.stdout != "" {
		t.Fatalf("kubeconfig --ttl 1000h: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	// Delete, followed to the end.
	r = run("clusters", "delete", "dev-east", "--wait")
	if !strings.Contains(r.stdout, workflows.StepDeleteVMs) || !strings.HasSuffix(r.stdout, " Succeeded\n") {
		t.Fatalf("clusters delete --wait:\n%s", r.stdout)
	}
	if r = cwctl(t, "clusters", "get", "dev-east"); r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") {
		t.Errorf("get after delete: exit %d %s", r.code, r.stderr)
	}

	// Versions and the audit log.
	if r = run("versions"); !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(domain.KubernetesVersions().Default) + `\s+yes$`).MatchString(r.stdout) {
		t.Errorf("versions:\n%s", r.stdout)
	}
	var audit struct{ Items []domain.AuditEvent }
	decode(t, run("audit", "--limit", "3", "-o", "json"), &audit)
	if len(audit.Items) != 3 {
		t.Errorf("audit --limit 3: %d events", len(audit.Items))
	}
	if r = run("audit"); !strings.Contains(r.stdout, "cluster.create") || !strings.Contains(r.stdout, "cluster.kubeconfig") {
		t.Errorf("audit:\n%s", r.stdout)
	}

	// A wrong token is refused (exit 2) and not echoed.
	if r = cwctl(t, "--token", "cw_not-a-real-token", "clusters", "list"); r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") ||
		strings.Contains(r.stdout+r.stderr, "cw_not-a-real-token") {
		t.Errorf("wrong token: exit %d %q", r.code, r.stderr)
	}
	for _, o := range outputs {
		if strings.Contains(o.stdout+o.stderr, env.AdminToken) || strings.Contains(o.stdout+o.stderr, vc.Password) {
			t.Fatal("the token or the vCenter password is in cwctl's output")
		}
	}
}

// waitStep polls the operation with cwctl until its step reaches state.
func waitStep(t *testing.T, id, step, state string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var op domain.Operation
		decode(t, ok(t, "ops", "get", id, "-o", "json"), &op)
		for _, s := range op.Steps {
			if s.Name == step && s.State == state {
				return
			}
		}
		if op.State != domain.OpPending && op.State != domain.OpRunning {
			t.Fatalf("operation %s ended %s before step %s was %s", id, op.State, step, state)
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %s of %s not %s after a minute: %+v", step, id, state, op.Steps)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMissingSettings: without a token or URL cwctl says which setting to give, exits 2
// and sends nothing.
func TestMissingSettings(t *testing.T) {
	t.Setenv(envConfig, filepath.Join(t.TempDir(), "none.json"))
	t.Setenv(envURL, "http://127.0.0.1:1")
	t.Setenv(envToken, "")
	r := cwctl(t, "clusters", "list")
	if r.code != 2 || r.stderr != "error: missing an API token: set --token or $CLUSTERWRIGHT_TOKEN, or run `cwctl login` (`clusterwright dev` writes both to its env file; `clusterwright token create` makes a token)\n" {
		t.Errorf("missing token: exit %d %q", r.code, r.stderr)
	}
	t.Setenv(envURL, "")
	t.Setenv(envToken, "cw_secret-token-value")
	r = cwctl(t, "ops", "get", "x")
	if r.code != 2 || !strings.Contains(r.stderr, "--url or $CLUSTERWRIGHT_URL") || strings.Contains(r.stderr, "cw_secret-token-value") {
		t.Errorf("missing URL: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "--url", "ftp://x", "versions"); r.code != 2 || !strings.Contains(r.stderr, "url \"ftp://x\"") {
		t.Errorf("bad URL: exit %d %q", r.code, r.stderr)
	}
	// Usage errors are exit 2 and name what is wrong; help never shows the token.
	t.Setenv(envURL, "http://127.0.0.1:1")
	if r = cwctl(t, "clusters", "get"); r.code != 2 || !strings.Contains(r.stderr, "usage: cwctl clusters get NAME") {
		t.Errorf("missing argument: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clusters", "frob"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "clusters frob"`) {
		t.Errorf("unknown command: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clusters", "list", "-o", "xml"); r.code != 2 || !strings.Contains(r.stderr, `invalid argument "xml" for "-o, --output" flag: must be table, json or yaml`) {
		t.Errorf("bad -o: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clusters", "create"); r.code != 2 || !strings.Contains(r.stderr, "-f: a YAML or JSON file is required") {
		t.Errorf("create without -f: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "--token", "cw_secret-token-value", "clusters", "list", "--bogus"); r.code != 2 || strings.Contains(r.stderr, "cw_secret-token-value") {
		t.Errorf("bad flag: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "help"); r.code != 0 || !strings.Contains(r.stdout, "cwctl ops watch ID") || strings.Contains(r.stdout, "cw_secret-token-value") {
		t.Errorf("help: exit %d", r.code)
	}
}
