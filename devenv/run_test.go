package devenv_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/devenv"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// devProcess is one run of `clusterwright dev` inside the test.
type devProcess struct {
	env    map[string]string
	cancel context.CancelFunc
	done   chan error
}

func startDev(t *testing.T, state string) *devProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &devProcess{cancel: cancel, done: make(chan error, 1)}
	ready := make(chan map[string]string, 1)
	cfg := app.Config{Listen: "127.0.0.1:0", StateDir: state, TemporalAddress: "embedded"}
	logger := slog.New(slog.NewTextHandler(testLogs(t), nil))
	go func() {
		p.done <- devenv.Run(ctx, cfg, logger, devenv.Options{Ready: func(env map[string]string) { ready <- env }})
	}()
	select {
	case p.env = <-ready:
	case err := <-p.done:
		t.Fatalf("dev environment failed to start: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("dev environment not up after 3 minutes")
	}
	return p
}

func (p *devProcess) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("dev environment stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Logf("goroutines in Clusterwright's code and the simulator:\n%s", sim.Goroutines("github.com/clusterwright/clusterwright/", sim.SimulatorCode))
		t.Fatal("dev environment did not stop within a minute")
	}
}

// testLogs is where the dev environment logs: standard error when CLUSTERWRIGHT_TEST_LOGS
// is set; otherwise a buffer whose warnings and errors the test prints when it fails.
func testLogs(t *testing.T) io.Writer {
	if os.Getenv("CLUSTERWRIGHT_TEST_LOGS") != "" {
		return os.Stderr
	}
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the dev environment's last warnings and errors:\n%s", problems(logs.String(), 80))
		}
	})
	return logs
}

// problems are the last n lines of logs at level WARN or ERROR.
func problems(logs string, n int) string {
	var kept []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept[max(0, len(kept)-n):], "")
}

// call sends a request with the dev admin token and decodes the JSON reply into out.
func (p *devProcess) call(t *testing.T, method, path string, body string, out any) int {
	t.Helper()
	status, b := p.raw(t, method, path, body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, status, b)
		}
	}
	return status
}

// raw sends a request with the dev admin token and returns the reply's status and body.
func (p *devProcess) raw(t *testing.T, method, path string, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, p.env["CLUSTERWRIGHT_URL"]+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.env["CLUSTERWRIGHT_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read reply: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// waitSynced waits until the vCenter's newest sync operation succeeded.
func (p *devProcess) waitSynced(t *testing.T, vcenter string) domain.Operation {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var ops struct{ Items []domain.Operation }
		p.call(t, "GET", "/api/v1/operations?target="+vcenter+"&kind=vcenter.sync", "", &ops)
		if len(ops.Items) > 0 && ops.Items[0].State == domain.OpSucceeded {
			return ops.Items[0]
		}
		if len(ops.Items) > 0 && ops.Items[0].State == domain.OpFailed {
			t.Fatalf("sync of %s failed: %+v", vcenter, ops.Items[0])
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync of %s not done: %+v", vcenter, ops.Items)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stateDir makes a fresh dev state directory, removed when the test ends. As root, the
// private Postgres runs as the postgres user, who must reach the directory: t.TempDir's
// parent is private, so make one that is not.
func stateDir(t *testing.T) string {
	t.Helper()
	state, err := os.MkdirTemp("", "cwdev")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	if err := os.Chmod(state, 0o755); err != nil {
		t.Fatal(err)
	}
	return state
}

// TestDevEnvironment runs `clusterwright dev` on a fresh state directory, uses it as the
// README says (register a second simulated vCenter, read inventories and the audit log),
// stops it, and starts it again: the token, the records and the Temporal history persist.
func TestDevEnvironment(t *testing.T) {
	state := stateDir(t)
	dev := startDev(t, state)
	var b []byte
	var err error

	b, err = os.ReadFile(filepath.Join(state, "env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"CLUSTERWRIGHT_URL", "CLUSTERWRIGHT_TOKEN", "TEMPORAL_ADDRESS", "DATABASE_URL", "VSPHERE_URL", "VSPHERE_USERNAME", "VSPHERE_PASSWORD", "CLUSTERWRIGHT_CHART_MIRROR"} {
		if !strings.Contains(string(b), key+"=") || dev.env[key] == "" {
			t.Errorf("env file lacks %s", key)
		}
	}
	dev.checkSignIn(t)
	first := dev.waitSynced(t, devenv.SimVCenterName)
	var inv domain.Inventory
	if dev.call(t, "GET", "/api/v1/vcenters/sim/inventory", "", &inv) != 200 || len(inv.Templates) == 0 {
		t.Fatalf("sim inventory: %+v", inv)
	}
	var pool domain.IPPool
	if dev.call(t, "GET", "/api/v1/ippools/sim", "", &pool) != 200 || pool.CIDR != devenv.SimIPPool.CIDR {
		t.Fatalf("sim ip pool: %+v", pool)
	}

	second, err := sim.StartVCenter(sim.VCenterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	reg, _ := json.Marshal(domain.VCenterInput{Name: "vc2", Server: second.URL().Host, Username: second.Username, Password: second.Password, Insecure: true})
	if status := dev.call(t, "POST", "/api/v1/vcenters", string(reg), nil); status != http.StatusCreated {
		t.Fatalf("register vc2: %d", status)
	}
	dev.waitSynced(t, "vc2")
	var audit struct{ Items []domain.AuditEvent }
	dev.call(t, "GET", "/api/v1/audit", "", &audit)
	if len(audit.Items) < 3 || audit.Items[0].Action != "vcenter.create" || audit.Items[0].Target != "vcenter/vc2" {
		t.Fatalf("audit: %+v", audit.Items)
	}
	dev.stop(t)

	again := startDev(t, state)
	defer again.stop(t)
	if again.env["CLUSTERWRIGHT_TOKEN"] != dev.env["CLUSTERWRIGHT_TOKEN"] {
		t.Error("the admin token changed across a restart")
	}
	if again.env["CLUSTERWRIGHT_SSO_PASSWORD_ALICE"] != dev.env["CLUSTERWRIGHT_SSO_PASSWORD_ALICE"] {
		t.Error("alice's password changed across a restart")
	}
	again.checkSignIn(t)
	var op domain.Operation
	if again.call(t, "GET", "/api/v1/operations/"+first.ID, "", &op) != 200 || op.State != domain.OpSucceeded || len(op.Steps) != 1 {
		t.Fatalf("the first sync is not remembered: %+v", op)
	}
	if again.waitSynced(t, devenv.SimVCenterName).ID == first.ID {
		t.Fatal("no resync of the simulated vCenter after the restart")
	}
}
