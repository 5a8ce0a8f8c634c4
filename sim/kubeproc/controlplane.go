package kubeproc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Timing of Start and Stop.
const (
	pollInterval = 100 * time.Millisecond
	stopGrace    = 15 * time.Second
)

// Component names, as used for log files and PIDs.
const (
	Etcd              = "etcd"
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
)

// ControlPlane is the running control plane of one node.
type ControlPlane struct {
	cfg    ControlPlaneConfig
	log    *slog.Logger
	certs  *certs
	caPool *x509.CertPool
	admin  tls.Certificate

	mu       sync.Mutex
	procs    []*process // one per component started, in first start order
	stopped  bool       // set by Stop: no component starts any more
	stopOnce sync.Once
	stopErr  error
}

// Credentials are what a client needs to reach the API server as a cluster
// administrator (O=system:masters); they map one to one onto client-go's
// rest.Config Host and TLSClientConfig CAData, CertData and KeyData.
type Credentials struct {
	Host                      string
	CAData, CertData, KeyData []byte
}

// Start starts etcd, then kube-apiserver, then kube-controller-manager and
// kube-scheduler, and returns once the API server's /readyz and the two
// controllers' /healthz answer ok. ctx bounds the start only: the processes
// run until Stop, or until the calling process dies. On error every process
// started so far is stopped again.
//
// Start first ensures the leaf certificates and kubeconfigs (see
// EnsureCertificates): those already in cfg.Layout are reused as long as
// they are valid, so a restart keeps them. The etcd data survives a Stop as
// well, so a control plane can be restarted (also with another Version, as
// an upgrade).
func Start(ctx context.Context, cfg ControlPlaneConfig) (*ControlPlane, error) {
	return StartWithLogger(ctx, cfg, slog.Default())
}

// StartWithLogger is Start logging to log.
func StartWithLogger(ctx context.Context, cfg ControlPlaneConfig, log *slog.Logger) (*ControlPlane, error) {
	return StartComponents(ctx, cfg, log, Components)
}

// StartComponents is StartWithLogger for some of the components only (those
// of names, in the order of Components), as a kubelet starts the static Pods
// whose manifests it finds. The others can be started later with
// StartComponent.
func StartComponents(ctx context.Context, cfg ControlPlaneConfig, log *slog.Logger, names []string) (cp *ControlPlane, err error) {
	cp, err = New(cfg, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = cp.Stop() // the start error says what went wrong
			cp = nil
			err = fmt.Errorf("kubeproc: start %s on %s: %w", cfg.Version, cfg.IP, err)
		}
	}()
	began := time.Now()
	for _, name := range Components {
		if !slices.Contains(names, name) {
			continue
		}
		if err := cp.StartComponent(ctx, name); err != nil {
			return cp, err
		}
	}
	cp.log.Info("control plane started", "components", len(names), "after", time.Since(began).Round(time.Millisecond))
	return cp, nil
}

// New prepares the control plane of cfg — its directories, leaf certificates
// and kubeconfigs — without starting any component (see StartComponent).
func New(cfg ControlPlaneConfig, log *slog.Logger) (*ControlPlane, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := Binaries(cfg.Version); err != nil {
		return nil, err
	}
	log = log.With("node", cfg.Name, "ip", cfg.IP, "version", cfg.Version)
	l := cfg.Layout
	for _, d := range []string{filepath.Join(l.CertDir, "etcd"), l.KubeconfigDir, l.EtcdDataDir, l.LogDir, l.RunDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("kubeproc: %w", err)
		}
	}
	cp := &ControlPlane{cfg: cfg, log: log}
	if err := cp.loadCerts(); err != nil {
		return nil, err
	}
	return cp, nil
}

// loadCerts ensures and reads the leaf certificates, as a component's start
// reads them from disk (renewed ones included).
func (cp *ControlPlane) loadCerts() error {
	c, err := ensureCerts(cp.cfg)
	if err != nil {
		return fmt.Errorf("kubeproc: certificates: %w", err)
	}
	if len(c.issued) > 0 {
		cp.log.Debug("issued certificates", "files", c.issued)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.caPEM) {
		return fmt.Errorf("kubeproc: no certificate in %s", cp.cfg.PKI.CACert)
	}
	admin, err := tls.X509KeyPair(c.superAdmin.certPEM, c.superAdmin.keyPEM)
	if err != nil {
		return fmt.Errorf("kubeproc: admin certificate: %w", err)
	}
	cp.mu.Lock()
	cp.certs, cp.caPool, cp.admin = c, pool, admin
	cp.mu.Unlock()
	return nil
}

// start starts one component and records it for Stop.
func (cp *ControlPlane) start(name, binary string, args []string) (*process, error) {
	p, err := startProcess(cp.log, name, binary, logFile(cp.cfg.Layout.LogDir, name), args)
	if err != nil {
		return nil, err
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.stopped {
		_ = p.stop(cp.log, stopGrace)
		return nil, fmt.Errorf("start %s: the control plane was stopped", name)
	}
	for i, old := range cp.procs {
		if old.name == name {
			cp.procs[i] = p
			return p, nil
		}
	}
	cp.procs = append(cp.procs, p)
	return p, nil
}

// clientTLS is a TLS client configuration trusting caFile and presenting client.
func (cp *ControlPlane) clientTLS(caFile string, client issued) (*tls.Config, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	cert, err := tls.X509KeyPair(client.certPEM, client.keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// waitOK polls url until it answers 200 with a body containing want. It
// fails early when one of the watched processes exits.
func (cp *ControlPlane) waitOK(ctx context.Context, tlsConfig *tls.Config, url, want string, watch ...*process) error {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, DisableKeepAlives: true},
	}
	var last error
	for {
		for _, p := range watch {
			if p.exited() {
				return p.exitError()
			}
		}
		if last = probe(ctx, client, url, want); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", url, ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// probe is one GET of url, expecting 200 and want in the body.
func probe(ctx context.Context, client *http.Client, url, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// Stop stops the components in the reverse order of their start: SIGTERM,
// then SIGKILL after a grace period. It returns an error naming every
// component that had exited on its own or had to be killed (components
// killed by Kill are not reported). Stop is safe to call more than once.
func (cp *ControlPlane) Stop() error {
	return cp.StopWithin(stopGrace)
}

// StopWithin is Stop with grace as the time each component has to exit
// after SIGTERM. A short grace makes a power-off: a kube-apiserver that
// still serves watches of other nodes' clients may take many seconds to
// drain them.
func (cp *ControlPlane) StopWithin(grace time.Duration) error {
	cp.stopOnce.Do(func() {
		cp.mu.Lock()
		cp.stopped = true
		cp.mu.Unlock()
		var errs []error
		for _, p := range slices.Backward(cp.processes()) {
			errs = append(errs, p.stop(cp.log, grace))
		}
		cp.stopErr = errors.Join(errs...)
		cp.log.Info("control plane stopped", "err", cp.stopErr)
	})
	return cp.stopErr
}

// Kill kills every component at once with SIGKILL, as a crash or the
// out-of-memory killer would, and waits for them to exit. The data stays,
// so the control plane can be started again.
func (cp *ControlPlane) Kill() {
	for _, p := range cp.processes() {
		p.kill()
	}
	cp.log.Info("control plane killed")
}

// Exited reports whether any component has exited, other than those
// stopped by StopComponent.
func (cp *ControlPlane) Exited() bool {
	return slices.ContainsFunc(cp.processes(), func(p *process) bool { return p.exited() && !p.stopped.Load() })
}

// processes returns the started components, in start order.
func (cp *ControlPlane) processes() []*process {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return slices.Clone(cp.procs)
}

// Config is the configuration the control plane runs with, defaults filled in.
func (cp *ControlPlane) Config() ControlPlaneConfig { return cp.cfg }

// Endpoint is the API server's URL, like https://127.20.0.10:6443.
func (cp *ControlPlane) Endpoint() string { return cp.cfg.apiServerURL() }

// Admin returns cluster-admin credentials for the API server.
func (cp *ControlPlane) Admin() Credentials {
	c, _, _ := cp.loaded()
	return Credentials{
		Host:     cp.Endpoint(),
		CAData:   c.caPEM,
		CertData: c.superAdmin.certPEM,
		KeyData:  c.superAdmin.keyPEM,
	}
}

// AdminKubeconfig is a kubeconfig for the local API server with the
// super-admin credentials (system:masters) embedded; super-admin.conf in
// Layout.KubeconfigDir holds the same identity.
func (cp *ControlPlane) AdminKubeconfig() []byte {
	c, _, _ := cp.loaded()
	return kubeconfig(cp.cfg.ClusterName, cp.Endpoint(), c.caPEM, SuperAdminUser, c.superAdmin)
}

// AdminTLSConfig trusts the cluster CA and presents the admin certificate.
func (cp *ControlPlane) AdminTLSConfig() *tls.Config {
	_, pool, admin := cp.loaded()
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{admin}, MinVersion: tls.VersionTLS12}
}

// AdminHTTPClient is an HTTP client that talks to the API server as admin.
func (cp *ControlPlane) AdminHTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cp.AdminTLSConfig()}}
}

// PIDs maps each started component's name to its process ID.
func (cp *ControlPlane) PIDs() map[string]int {
	procs := cp.processes()
	pids := make(map[string]int, len(procs))
	for _, p := range procs {
		pids[p.name] = p.cmd.Process.Pid
	}
	return pids
}

// LogFile is the path of a component's log (standard output and error).
func (cp *ControlPlane) LogFile(component string) string {
	return logFile(cp.cfg.Layout.LogDir, component)
}
