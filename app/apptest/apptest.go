// Package apptest starts a whole Clusterwright for end-to-end tests, every part real: a
// fresh Postgres database, the in-process Temporal test server, a worker, the API on a
// local port, and a simulated vCenter (vcsim).
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/sim/antreamc"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// Env is a running Clusterwright.
type Env struct {
	App        *app.App
	URL        string // base URL of the API
	AdminToken string
	VCenter    *sim.VCenter
	Datacenter *sim.Datacenter // when Options.Datacenter
	Worker     worker.Worker   // the running worker; see RestartWorker
	Logs       *bytes.Buffer   // everything the process logged
	t          testing.TB
	api        *atomic.Pointer[http.Handler] // what URL serves; see Reopen
	replies    *replyLog                     // every reply Do received; see Replies
}

// Options changes what Start brings up.
type Options struct {
	VCenter sim.VCenterOptions // the simulated vCenter, e.g. with delays or faults
	// Datacenter starts a simulated datacenter (VMs boot into Kubernetes nodes) instead
	// of a plain vCenter, with VCenter as its vCenter's options, and serves the
	// simulator's add-on charts as the chart mirror.
	Datacenter bool
	// Multicluster times the datacenter's simulated Antrea multi-cluster controllers
	// (see sim.DatacenterOptions.Multicluster); the zero value is the real controller's.
	Multicluster antreamc.Options
	// Config, if set, changes the configuration before the app opens.
	Config func(*app.Config)
	// Interceptors are extra worker interceptors (see app.App.Interceptors).
	Interceptors []interceptor.WorkerInterceptor
	// Setup, if set, changes the app after it opens and before its worker starts (e.g.
	// registers a schedule kind and its workflow).
	Setup func(*app.App)
}

// Start brings everything up; it is torn down when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Env {
	t.Helper()
	track(t)
	ts := newTemporal(t)
	key := make([]byte, 32)
	rand.Read(key)
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(logs, testWriter{}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := app.Config{
		DatabaseURL:       inventorytest.NewDatabase(t),
		TemporalAddress:   ts.GetFrontendHostPort(),
		TemporalNamespace: ts.GetDefaultNamespace(),
		SecretKey:         base64.StdEncoding.EncodeToString(key),
	}
	cfg.BackupDir = t.TempDir() // the "local" backup target
	// Tests record operations without workflows on purpose, which the reconcile would
	// end: it runs only in the tests that turn it on (Config sets ReconcileInterval).
	cfg.ReconcileInterval = "0"
	if opts.Datacenter {
		// The simulated nodes run the control-plane binaries of `make kubebin`: without
		// them every provision would only wait for a decision, so fail now and say so.
		// The clusters of these tests run the default version (`make test` builds it
		// and the one below it; a test of another version checks that one itself).
		if _, err := kubeproc.Binaries(domain.KubernetesVersions().Default); err != nil {
			t.Fatal(err)
		}
		charts := t.TempDir()
		if err := chartrepo.WriteDir(charts); err != nil {
			t.Fatalf("write the simulator's charts: %v", err)
		}
		cfg.ChartMirror, cfg.CacheDir = charts, t.TempDir()
	}
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.Open(ctx, cfg, logger, false)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(a.Close)
	a.Interceptors = opts.Interceptors
	if opts.Setup != nil {
		opts.Setup(a)
	}
	w, err := a.NewWorker()
	if err != nil {
		t.Fatalf("worker: %v", err)
	}
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	env := &Env{App: a, Worker: w, Logs: logs, t: t, api: new(atomic.Pointer[http.Handler]), replies: &replyLog{}}
	t.Cleanup(func() { env.Worker.Stop() })
	handler := a.API().Handler()
	env.api.Store(&handler)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*env.api.Load()).ServeHTTP(w, r) }))
	// Close waits for the requests in progress, and an operation's event stream lasts
	// while the operation runs and its reader stays: a portal page that follows one, in
	// a browser that a test closes only after this cleanup (cleanups run last first),
	// kept a failed test waiting for the browser's end. Cut the connections first.
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})

	token, _, err := a.Store.CreateToken(ctx, "admin", domain.RoleAdmin, "test")
	if err != nil {
		t.Fatalf("admin token: %v", err)
	}
	if opts.Datacenter {
		dc, err := sim.StartDatacenter(ctx, sim.DatacenterOptions{VCenter: opts.VCenter, StateDir: t.TempDir(), Logger: logger,
			Multicluster: opts.Multicluster})
		if err != nil {
			t.Fatalf("start the simulated datacenter: %v", err)
		}
		t.Cleanup(dc.Close)
		env.Datacenter, env.VCenter = dc, dc.VCenter()
	} else {
		vc, err := sim.StartVCenter(opts.VCenter)
		if err != nil {
			t.Fatalf("start vcsim: %v", err)
		}
		t.Cleanup(vc.Close)
		env.VCenter = vc
	}
	env.URL, env.AdminToken = srv.URL, token
	return env
}

// StopWorker stops the worker: running activities are abandoned, as when its process dies.
func (e *Env) StopWorker() { e.Worker.Stop() }

// StartWorker starts a new worker, as a restarted process would.
func (e *Env) StartWorker() {
	e.t.Helper()
	w, err := e.App.NewWorker()
	if err != nil {
		e.t.Fatalf("worker: %v", err)
	}
	e.Worker = w
	if err := e.Worker.Start(); err != nil {
		e.t.Fatalf("restart worker: %v", err)
	}
}

// Reopen restarts the whole process with a changed configuration, as an operator does
// after changing a setting (e.g. the master key after `clusterwright key rotate`): it
// stops the worker, opens a new app with the configuration change made to it, starts
// its worker and serves its API at the same URL. Stop the worker first (StopWorker).
// The new app keeps the old one's interceptors and extra workflows; the old app is
// closed when the test ends.
func (e *Env) Reopen(change func(*app.Config)) {
	e.t.Helper()
	cfg := e.App.Config
	change(&cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.Open(ctx, cfg, e.App.Logger, false)
	if err != nil {
		e.t.Fatalf("reopen app: %v", err)
	}
	e.t.Cleanup(a.Close)
	a.Interceptors, a.Workflows = e.App.Interceptors, e.App.Workflows
	e.App = a
	e.StartWorker()
	handler := a.API().Handler()
	e.api.Store(&handler)
}

// testWriter sends logs to the test output only when asked, to keep runs readable.
type testWriter struct{}

func (testWriter) Write(p []byte) (int, error) {
	if os.Getenv("CLUSTERWRIGHT_TEST_LOGS") != "" {
		return os.Stderr.Write(p)
	}
	return len(p), nil
}

// Token creates a token with role and returns its secret.
func (e *Env) Token(name string, role domain.Role) string {
	e.t.Helper()
	secret, _, err := e.App.Store.CreateToken(context.Background(), name, role, "test")
	if err != nil {
		e.t.Fatalf("token %s: %v", name, err)
	}
	return secret
}

// Response is a reply read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("reply %d is not JSON: %v: %s", r.Status, err, r.Body)
	}
}

// apiClient is the HTTP client of Do: no request of a test may wait for ever.
var apiClient = &http.Client{Timeout: 3 * time.Minute}

// Do sends method path with token (none when empty) and body (JSON-encoded unless it is
// a []byte or string, sent as is).
func (e *Env) Do(method, path, token string, body any) Response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.replies.add(Reply{Method: method, Path: path, Status: resp.StatusCode, Body: b})
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// VCenterInput returns a registration of the simulated vCenter under name, with its
// least-privileged cluster user as the clusters' account.
func (e *Env) VCenterInput(name string) domain.VCenterInput {
	return domain.VCenterInput{Name: name, Server: e.VCenter.URL().String(), Username: e.VCenter.Username, Password: e.VCenter.Password, Insecure: true,
		ClusterCredentials: &domain.ClusterAccountInput{Username: e.VCenter.ClusterUsername, Password: e.VCenter.ClusterPassword}}
}

// RegisterVCenter registers the simulated vCenter under name through the API and waits
// for its first inventory sync to succeed.
func (e *Env) RegisterVCenter(name string) {
	e.t.Helper()
	r := e.Do("POST", "/api/v1/vcenters", e.AdminToken, e.VCenterInput(name))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("register vCenter %s: %d %s", name, r.Status, r.Body)
	}
	var created struct{ Operation domain.Operation }
	r.JSON(e.t, &created)
	op := e.WaitOperation(created.Operation.ID)
	if op.State != domain.OpSucceeded {
		e.t.Fatalf("inventory sync of %s: %+v", name, op)
	}
	e.CheckReplay("sync", op)
}

// CreateIPPool creates an IP pool through the API.
func (e *Env) CreateIPPool(pool domain.IPPoolInput) {
	e.t.Helper()
	if r := e.Do("POST", "/api/v1/ippools", e.AdminToken, pool); r.Status != http.StatusCreated {
		e.t.Fatalf("create pool %s: %d %s", pool.Name, r.Status, r.Body)
	}
}

// WaitOperation polls the operation until it ends or awaits a decision (within 2
// minutes) and returns it.
func (e *Env) WaitOperation(id string) domain.Operation {
	e.t.Helper()
	return e.WaitOperationFor(id, 2*time.Minute)
}

// WaitOperationFor polls the operation until it ends or awaits a decision, failing the
// test after timeout.
func (e *Env) WaitOperationFor(id string, timeout time.Duration) domain.Operation {
	e.t.Helper()
	return e.waitOperation(id, timeout, func(state string) bool { return state != domain.OpPending && state != domain.OpRunning })
}

// WaitOperationEnd polls the operation until it ends (Succeeded, Failed or Canceled),
// failing the test after timeout.
func (e *Env) WaitOperationEnd(id string, timeout time.Duration) domain.Operation {
	e.t.Helper()
	return e.waitOperation(id, timeout, func(state string) bool { return !domain.OperationActive(state) })
}

func (e *Env) waitOperation(id string, timeout time.Duration, done func(state string) bool) domain.Operation {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var op domain.Operation
		r := e.Do("GET", "/api/v1/operations/"+id, e.AdminToken, nil)
		if r.Status != http.StatusOK {
			e.t.Fatalf("get operation %s: %d %s", id, r.Status, r.Body)
		}
		r.JSON(e.t, &op)
		if done(op.State) {
			return op
		}
		if time.Now().After(deadline) {
			e.t.Logf("where the operation waits:\n%s", WaitingGoroutines())
			e.t.Fatalf("operation %s still %s after %s: %+v", id, op.State, timeout, op)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitingGoroutines returns the stacks of this process's goroutines in the simulated
// vCenters and in Clusterwright's activities: where an operation that does not end
// waits (a vSphere call hung on one of vcsim's object locks shows on both sides). Tests
// log it when a wait on an operation times out.
func WaitingGoroutines() string {
	if g := sim.Goroutines(sim.SimulatorCode, ownCode+"activities/"); g != "" {
		return g
	}
	return "(no goroutine in the simulated vCenters or the activities)\n"
}

// newTemporal starts the Temporal test server for t; a benchmark's (temporaltest takes a
// *testing.T only) is stopped by a cleanup of its own.
func newTemporal(t testing.TB) *temporaltest.TestServer {
	if tt, ok := t.(*testing.T); ok {
		return temporaltest.NewServer(temporaltest.WithT(tt))
	}
	ts := temporaltest.NewServer()
	t.Cleanup(ts.Stop)
	return ts
}
