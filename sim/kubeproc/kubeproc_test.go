package kubeproc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/kubeproc/kubeproctest"
)

// The versions of these tests: the default and the one below it, from which
// an upgrade starts (the versions `make test` builds).
var (
	newer = domain.KubernetesVersions().Default
	older = domain.PreviousVersion(newer)
)

// planeConfig checks that version's binaries are built (they are built by
// `make kubebin`: missing ones fail the test) and returns a configuration with
// a fresh PKI.
func planeConfig(t *testing.T, version, ip string) kubeproc.ControlPlaneConfig {
	t.Helper()
	if _, err := kubeproc.Binaries(version); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return kubeproc.ControlPlaneConfig{
		Version: version,
		IP:      ip,
		Dir:     dir,
		PKI:     mustPKI(t, dir+"/cluster-pki"),
		PodCIDR: "10.244.0.0/16",
	}
}

// startPlane starts a control plane, to be stopped when the test ends, and
// returns how long the start took. It may run in any goroutine.
func startPlane(t *testing.T, cfg kubeproc.ControlPlaneConfig) (*kubeproc.ControlPlane, time.Duration, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	began := time.Now()
	cp, err := kubeproc.StartWithLogger(ctx, cfg, log)
	if err != nil {
		return nil, 0, err
	}
	took := time.Since(began)
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stop %s: %v", cfg.IP, err)
		}
	})
	return cp, took, nil
}

// startControlPlane starts a control plane of version on ip.
func startControlPlane(t *testing.T, version, ip string) *kubeproc.ControlPlane {
	t.Helper()
	cp, took, err := startPlane(t, planeConfig(t, version, ip))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s on %s: started in %s, RSS %s", version, ip, took.Round(time.Millisecond), rssReport(t, cp))
	return cp
}

func TestControlPlane(t *testing.T) {
	cp := startControlPlane(t, newer, "127.20.0.10")
	client := cp.AdminHTTPClient()

	if body := get(t, client, cp.Endpoint()+"/readyz"); body != "ok" {
		t.Errorf("/readyz = %q, want ok", body)
	}
	checkVersion(t, cp, newer)

	// A Namespace gets its "default" ServiceAccount from the controller
	// manager, which proves that it runs with working credentials.
	send(t, client, http.MethodPost, cp.Endpoint()+"/api/v1/namespaces",
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kubeproc-test"}}`, http.StatusCreated)
	eventually(t, "default ServiceAccount", func() bool {
		return status(t, client, cp.Endpoint()+"/api/v1/namespaces/kubeproc-test/serviceaccounts/default") == http.StatusOK
	})

	// A Pod is bound to a ready Node by the scheduler.
	send(t, client, http.MethodPost, cp.Endpoint()+"/api/v1/nodes", `{
		"apiVersion":"v1","kind":"Node","metadata":{"name":"worker-1"},
		"status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},
		          "allocatable":{"cpu":"4","memory":"8Gi","pods":"110"},
		          "conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}]}}`, http.StatusCreated)
	send(t, client, http.MethodPost, cp.Endpoint()+"/api/v1/namespaces/kubeproc-test/pods", `{
		"apiVersion":"v1","kind":"Pod","metadata":{"name":"pause"},
		"spec":{"containers":[{"name":"pause","image":"registry.k8s.io/pause:3.10"}]}}`, http.StatusCreated)
	eventually(t, "Pod scheduled", func() bool {
		var pod struct {
			Spec struct{ NodeName string } `json:"spec"`
		}
		decode(t, get(t, client, cp.Endpoint()+"/api/v1/namespaces/kubeproc-test/pods/pause"), &pod)
		return pod.Spec.NodeName == "worker-1"
	})
}

func TestControlPlanesSideBySide(t *testing.T) {
	planes := []struct{ version, ip string }{
		{older, "127.20.0.10"},
		{newer, "127.20.0.20"},
	}
	cfgs := make([]kubeproc.ControlPlaneConfig, len(planes))
	for i, p := range planes {
		cfgs[i] = planeConfig(t, p.version, p.ip)
	}
	cps := make([]*kubeproc.ControlPlane, len(planes))
	took := make([]time.Duration, len(planes))
	errs := make([]error, len(planes))
	var wg sync.WaitGroup
	for i := range planes {
		wg.Go(func() { cps[i], took[i], errs[i] = startPlane(t, cfgs[i]) })
	}
	wg.Wait()
	for i, p := range planes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Logf("%s on %s: started (concurrently) in %s, RSS %s", p.version, p.ip, took[i].Round(time.Millisecond), rssReport(t, cps[i]))
	}
	for i, p := range planes {
		checkVersion(t, cps[i], p.version)
		ns := "side-" + strings.ReplaceAll(p.ip, ".", "-")
		send(t, cps[i].AdminHTTPClient(), http.MethodPost, cps[i].Endpoint()+"/api/v1/namespaces",
			`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"`+ns+`"}}`, http.StatusCreated)
	}
	// Each control plane has its own etcd: the other's Namespace is not there.
	if got := status(t, cps[0].AdminHTTPClient(), cps[0].Endpoint()+"/api/v1/namespaces/side-127-20-0-20"); got != http.StatusNotFound {
		t.Errorf("Namespace of the second control plane seen by the first: status %d", got)
	}
}

// TestRestartUpgrade restarts a control plane on its data with the next
// version, as a Kubernetes upgrade does: the objects are still there.
func TestRestartUpgrade(t *testing.T) {
	cfg := planeConfig(t, older, "127.20.0.10")
	cp, _, err := startPlane(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	send(t, cp.AdminHTTPClient(), http.MethodPost, cp.Endpoint()+"/api/v1/namespaces",
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"survivor"}}`, http.StatusCreated)
	if err := cp.Stop(); err != nil {
		t.Fatal(err)
	}
	before := readFiles(t, cfg.Dir, "pki/apiserver.crt", "pki/etcd/server.crt", "admin.conf", "super-admin.conf")

	cfg.Version = newer
	cp, took, err := startPlane(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted as %s in %s", cfg.Version, took.Round(time.Millisecond))
	checkVersion(t, cp, newer)
	get(t, cp.AdminHTTPClient(), cp.Endpoint()+"/api/v1/namespaces/survivor")
	// The certificates and kubeconfigs were issued once and kept.
	after := readFiles(t, cfg.Dir, "pki/apiserver.crt", "pki/etcd/server.crt", "admin.conf", "super-admin.conf")
	for name, b := range before {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("%s was issued again at restart", name)
		}
	}
}

// TestKill kills a control plane and starts it again on its data.
func TestKill(t *testing.T) {
	cfg := planeConfig(t, newer, "127.20.0.10")
	cp, _, err := startPlane(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cp.Kill()
	if !cp.Exited() {
		t.Fatal("Exited() = false after Kill")
	}
	if err := cp.Stop(); err != nil {
		t.Errorf("Stop after Kill: %v", err)
	}
	if _, _, err := startPlane(t, cfg); err != nil {
		t.Fatal(err)
	}
}

func readFiles(t *testing.T, dir string, names ...string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

func TestBinariesMissing(t *testing.T) {
	t.Setenv(kubeproc.EnvCacheDir, t.TempDir())
	_, err := kubeproc.Binaries(newer)
	if err == nil || !strings.Contains(err.Error(), "make kubebin") {
		t.Fatalf("Binaries() error = %v, want one telling to run make kubebin", err)
	}
}

// TestBinariesAreTheirReleases: each version's binaries are built from its own
// Kubernetes release and the etcd that release pins (sim/kubebin/v1.MINOR/go.mod),
// not one source stamped with several versions.
func TestBinariesAreTheirReleases(t *testing.T) {
	etcdVersions := map[string]string{}
	for _, v := range []string{older, newer} {
		bins, err := kubeproc.Binaries(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, bin := range []string{bins.APIServer, bins.ControllerManager, bins.Scheduler} {
			out, err := exec.Command(bin, "--version").CombinedOutput()
			if err != nil || string(out) != "Kubernetes "+v+"\n" {
				t.Errorf("%s --version = %q, %v; want Kubernetes %s", bin, out, err, v)
			}
		}
		gomod, err := os.ReadFile(filepath.Join("..", "kubebin", "v"+domain.KubernetesMinor(v), "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes ` + regexp.QuoteMeta(v) + `$`).Match(gomod) {
			t.Errorf("sim/kubebin/v%s/go.mod does not require k8s.io/kubernetes %s", domain.KubernetesMinor(v), v)
		}
		m := regexp.MustCompile(`(?m)^\s*go\.etcd\.io/etcd/server/v3 v(\S+)$`).FindSubmatch(gomod)
		if m == nil {
			t.Fatalf("sim/kubebin/v%s/go.mod requires no etcd server", domain.KubernetesMinor(v))
		}
		out, err := exec.Command(bins.Etcd, "--version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "etcd Version: "+string(m[1])+"\n") {
			t.Errorf("%s --version = %q, %v; want etcd %s", bins.Etcd, out, err, m[1])
		}
		etcdVersions[v] = string(m[1])
	}
	t.Logf("etcd of each version: %v", etcdVersions)
}

// checkVersion checks that GET /version reports version.
func checkVersion(t *testing.T, cp *kubeproc.ControlPlane, version string) {
	t.Helper()
	var info struct{ GitVersion, Major, Minor string }
	decode(t, get(t, cp.AdminHTTPClient(), cp.Endpoint()+"/version"), &info)
	minor := strings.Split(version, ".")[1]
	if info.GitVersion != version || info.Major != "1" || info.Minor != minor {
		t.Errorf("/version = %+v, want gitVersion %s, major 1, minor %s", info, version, minor)
	}
}

// rssReport sums VmRSS over the control plane's processes.
func rssReport(t *testing.T, cp *kubeproc.ControlPlane) string {
	t.Helper()
	var total int
	var parts []string
	for _, name := range []string{kubeproc.Etcd, kubeproc.APIServer, kubeproc.ControllerManager, kubeproc.Scheduler} {
		kb := vmRSS(t, cp.PIDs()[name])
		total += kb
		parts = append(parts, fmt.Sprintf("%s %d MiB", name, kb/1024))
	}
	return fmt.Sprintf("%d MiB (%s)", total/1024, strings.Join(parts, ", "))
}

// vmRSS reads a process's resident set size in KiB from /proc.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	return send(t, client, http.MethodGet, url, "", http.StatusOK)
}

func status(t *testing.T, client *http.Client, url string) int {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// send makes a request with a JSON body and checks the response status.
func send(t *testing.T, client *http.Client, method, url, body string, want int) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s, want %d: %s", method, url, resp.Status, want, out)
	}
	return string(out)
}

func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

// eventually polls cond for up to a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mustPKI writes a throwaway cluster PKI into dir.
func mustPKI(t *testing.T, dir string) kubeproc.PKI {
	t.Helper()
	p, err := kubeproctest.WritePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
