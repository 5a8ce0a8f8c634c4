// Package devenv runs the whole of Clusterwright on one machine with embedded defaults:
// `clusterwright dev`. It starts what is missing — a private Postgres, an embedded
// Temporal server on SQLite, the simulated datacenter (vcsim whose VMs boot into
// Kubernetes nodes) and a chart repository with the simulator's add-on charts — then the
// API and the worker, registers the simulated vCenter and an IP pool, and writes an env
// file for curl, kubectl, cwctl and govc.
package devenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/secrets"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/temporalrt"
)

// Names of what dev mode registers.
const (
	SimVCenterName = "sim"
	SimIPPoolName  = "sim"
	adminTokenName = "dev-admin"
)

// SimIPPool is the node address pool on the loopback range: the simulated nodes listen on
// these addresses. 127.24.0.0/16 belongs to dev mode alone; the sim packages' tests use
// 127.20-127.22 and the app tests 127.6x, so a dev run and `make test` never collide.
var SimIPPool = domain.IPPoolInput{Name: SimIPPoolName, CIDR: "127.24.0.0/16", RangeStart: "127.24.0.10",
	RangeEnd: "127.24.255.250", Gateway: "127.24.0.1", DNS: []string{"127.0.0.53"}}

// Options are the dev environment's own settings.
type Options struct {
	// Faults makes chosen simulator calls fail on purpose (clusterwright dev --sim-fault);
	// admins change its rules at run time through /dev/faults. Nil means no rules at start.
	Faults *sim.Faults
	// Ready, when set, is called with the env file's variables once all is up.
	Ready func(env map[string]string)
	// FromEnvironment names the environment variables the settings came from (see
	// app.Config.FromEnvironment), so that errors about them can say so.
	FromEnvironment []string
}

// Run starts everything and blocks until ctx is canceled, then stops it all.
func Run(ctx context.Context, cfg app.Config, logger *slog.Logger, opts Options) error {
	state, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if err := checkGivenServices(ctx, cfg, opts.FromEnvironment); err != nil {
		return err
	}
	var stops []func()
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}()

	if cfg.SecretKey == "" && cfg.SecretKeyFile == "" {
		cfg.SecretKeyFile = filepath.Join(state, "secret.key")
		if _, err := secrets.GenerateKeyFile(cfg.SecretKeyFile); err != nil {
			return fmt.Errorf("secret key: %w", err)
		}
	}
	if cfg.DatabaseURL == "" {
		pg, err := StartPostgres(ctx, state, logger)
		if err != nil {
			return err
		}
		stops = append(stops, pg.Stop)
		cfg.DatabaseURL = pg.URL()
	}
	if cfg.TemporalAddress == "" || cfg.TemporalAddress == "embedded" {
		ts, err := temporalrt.StartDevServer(temporalrt.DevServerConfig{DatabaseFile: filepath.Join(state, "temporal.db"), Namespace: "default", Logger: logger})
		if err != nil {
			return fmt.Errorf("embedded temporal: %w", err)
		}
		stops = append(stops, func() { _ = ts.Stop() })
		cfg.TemporalAddress, cfg.TemporalNamespace = ts.FrontendHostPort(), ts.Namespace()
	}
	warnMissingKubeBinaries(logger)
	if opts.Faults == nil {
		opts.Faults = sim.NewFaults()
	}
	dc, err := startDatacenter(ctx, state, opts.Faults, logger)
	if err != nil {
		return err
	}
	stops = append(stops, dc.Close)
	vc := dc.VCenter()
	if cfg.ChartMirror == "" {
		repo, err := startChartRepo(state, logger)
		if err != nil {
			return err
		}
		stops = append(stops, func() { _ = repo.Close() })
		cfg.ChartMirror = repo.URL()
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(state, "cache")
	}

	a, err := app.Open(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	stops = append(stops, a.Close)
	w, err := a.NewWorker()
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	stops = append(stops, w.Stop)
	a.ReconcileSchedules(ctx)

	token, err := persistentSecret(filepath.Join(state, "admin.token"), "cw_dev")
	if err != nil {
		return err
	}
	if err := a.Store.ImportToken(ctx, adminTokenName, domain.RoleAdmin, token); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	// The handler needs the sign-in provider, which needs the server's URL: it is set
	// before the server serves.
	var handler http.Handler
	srv, err := cfg.NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }),
		app.DefaultHTTPTimeouts, logger)
	if err != nil {
		return err
	}
	base := srv.Scheme() + "://" + ln.Addr().String()
	apiCfg := a.APIConfig()
	apiCfg.DevFaults = devFaults{opts.Faults}
	ssoEnv := map[string]string{}
	if apiCfg.SSO == nil { // no provider of the person's own: the simulated one
		prov, sso, env, err := devSSO(ctx, state, base, a.Store, logger)
		if err != nil {
			return fmt.Errorf("dev single sign-on: %w", err)
		}
		stops = append(stops, func() { _ = prov.Close() })
		apiCfg.SSO, ssoEnv = sso, env
	}
	handler = api.New(apiCfg).Handler()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("api server", "error", err)
		}
	}()
	stops = append(stops, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})

	if err := register(ctx, base, token, vc, logger); err != nil {
		return err
	}
	env := map[string]string{
		"CLUSTERWRIGHT_URL":          base,
		"CLUSTERWRIGHT_TOKEN":        token,
		"TEMPORAL_ADDRESS":           cfg.TemporalAddress,
		"TEMPORAL_NAMESPACE":         cfg.TemporalNamespace,
		"DATABASE_URL":               cfg.DatabaseURL,
		"VSPHERE_URL":                vc.URL().String(),
		"VSPHERE_USERNAME":           vc.Username,
		"VSPHERE_PASSWORD":           vc.Password,
		"VSPHERE_INSECURE":           "true",
		"GOVC_URL":                   vc.URL().String(),
		"GOVC_USERNAME":              vc.Username,
		"GOVC_PASSWORD":              vc.Password,
		"GOVC_INSECURE":              "true",
		"CLUSTERWRIGHT_CHART_MIRROR": cfg.ChartMirror,
	}
	for k, v := range ssoEnv {
		env[k] = v
	}
	envFile := filepath.Join(state, "env")
	if err := writeEnvFile(envFile, env); err != nil {
		return fmt.Errorf("write env file: %w", err)
	}
	logger.Info("clusterwright dev is up", "api", base+"/api/v1", "portal", base+"/", "env_file", envFile)
	if opts.Ready != nil {
		opts.Ready(env)
	}
	<-ctx.Done()
	logger.Info("stopping")
	return nil
}

// register makes sure the simulated vCenter and the IP pool are registered, through the
// API like any client would, and syncs the vCenter's inventory.
func register(ctx context.Context, base, token string, vc *sim.VCenter, logger *slog.Logger) error {
	call := func(method, path string, body any) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, nil
	}
	status, got, err := call("GET", "/api/v1/vcenters/"+SimVCenterName, nil)
	if err != nil {
		return err
	}
	var registered domain.VCenter
	if status == http.StatusOK && json.Unmarshal(got, &registered) == nil && registered.ClusterCredentials == nil {
		// Registered before vCenters had cluster accounts: its clusters share the
		// service's account until they get the cluster user.
		patch := domain.VCenterPatch{ClusterCredentials: &domain.ClusterAccountPatch{Username: vc.ClusterUsername, Password: vc.ClusterPassword}}
		if status, body, err := call("PATCH", "/api/v1/vcenters/"+SimVCenterName, patch); err != nil || status != http.StatusAccepted {
			logger.Warn("give the simulated vCenter's clusters the cluster user", "status", status, "reply", string(body), "error", err)
		}
	}
	if status == http.StatusNotFound {
		// Clusters get the simulator's least-privileged cluster user, never the service's.
		in := domain.VCenterInput{Name: SimVCenterName, Server: vc.URL().String(), Username: vc.Username, Password: vc.Password, Insecure: true,
			ClusterCredentials: &domain.ClusterAccountInput{Username: vc.ClusterUsername, Password: vc.ClusterPassword}}
		if status, body, err := call("POST", "/api/v1/vcenters", in); err != nil || status != http.StatusCreated {
			return fmt.Errorf("register the simulated vcenter: %d %s %v", status, body, err)
		}
	} else if status, body, err := call("POST", "/api/v1/vcenters/"+SimVCenterName+"/sync", nil); err != nil || (status != http.StatusAccepted && status != http.StatusConflict) {
		return fmt.Errorf("sync the simulated vcenter: %d %s %v", status, body, err)
	}
	status, body, err := call("GET", "/api/v1/ippools/"+SimIPPoolName, nil)
	if err != nil {
		return err
	}
	switch status {
	case http.StatusNotFound:
		if status, body, err := call("POST", "/api/v1/ippools", SimIPPool); err != nil || status != http.StatusCreated {
			return fmt.Errorf("create the sim ip pool: %d %s %v", status, body, err)
		}
	case http.StatusOK:
		var pool domain.IPPool
		if err := json.Unmarshal(body, &pool); err == nil && pool.CIDR != SimIPPool.CIDR {
			logger.Warn("the sim IP pool was made by an older dev version; its addresses may collide with tests (start with a fresh state dir to get the new one)",
				"pool", SimIPPoolName, "cidr", pool.CIDR, "want", SimIPPool.CIDR)
		}
	}
	return nil
}
