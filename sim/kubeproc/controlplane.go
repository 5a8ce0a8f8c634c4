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

// ControlPlane is a running single-node control plane.
type ControlPlane struct {
	cfg      ControlPlaneConfig
	log      *slog.Logger
	certs    *certs
	caPool   *x509.CertPool
	admin    tls.Certificate
	procs    []*process // in start order
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
// Start issues fresh leaf certificates from the CAs in cfg.PKI into
// cfg.Dir/pki at every call; the etcd data in cfg.Dir/etcd survives a Stop, so
// a control plane can be restarted (also with another Version, as an upgrade).
func Start(ctx context.Context, cfg ControlPlaneConfig) (*ControlPlane, error) {
	return StartWithLogger(ctx, cfg, slog.Default())
}

// StartWithLogger is Start logging to log.
func StartWithLogger(ctx context.Context, cfg ControlPlaneConfig, log *slog.Logger) (cp *ControlPlane, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bins, err := Binaries(cfg.Version)
	if err != nil {
		return nil, err
	}
	log = log.With("node", cfg.Name, "ip", cfg.IP, "version", cfg.Version)
	for _, d := range []string{"pki", "logs", "etcd"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("kubeproc: %w", err)
		}
	}
	c, err := issueCerts(cfg, filepath.Join(cfg.Dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("kubeproc: issue certificates: %w", err)
	}
	cp = &ControlPlane{cfg: cfg, log: log, certs: c, caPool: x509.NewCertPool()}
	if !cp.caPool.AppendCertsFromPEM(c.caPEM) {
		return nil, fmt.Errorf("kubeproc: no certificate in %s", cfg.PKI.CACert)
	}
	if cp.admin, err = tls.X509KeyPair(c.admin.certPEM, c.admin.keyPEM); err != nil {
		return nil, fmt.Errorf("kubeproc: admin certificate: %w", err)
	}
	server := cfg.apiServerURL()
	for _, kc := range []struct {
		file, user string
		client     issued
	}{
		{"admin.conf", "kubernetes-admin", c.admin},
		{"controller-manager.conf", "system:kube-controller-manager", c.controllerManager},
		{"scheduler.conf", "system:kube-scheduler", c.scheduler},
	} {
		if err := writeKubeconfig(filepath.Join(cfg.Dir, kc.file), server, c.caPEM, kc.user, kc.client); err != nil {
			return nil, fmt.Errorf("kubeproc: %w", err)
		}
	}

	defer func() {
		if err != nil {
			_ = cp.Stop() // the start error says what went wrong
			cp = nil
			err = fmt.Errorf("kubeproc: start %s on %s: %w", cfg.Version, cfg.IP, err)
		}
	}()
	began := time.Now()

	etcdTLS, err := cp.clientTLS(cfg.PKI.EtcdCACert, c.apiServerEtcd)
	if err != nil {
		return cp, err
	}
	etcd, err := cp.start(Etcd, bins.Etcd, etcdArgs(cfg, c, filepath.Join(cfg.Dir, "etcd")))
	if err != nil {
		return cp, err
	}
	if err := cp.waitOK(ctx, etcdTLS, "https://"+cfg.hostPort(cfg.Ports.EtcdClient)+"/health", `"health":"true"`, etcd); err != nil {
		return cp, err
	}

	apiServer, err := cp.start(APIServer, bins.APIServer, apiServerArgs(cfg, c))
	if err != nil {
		return cp, err
	}
	if err := cp.waitOK(ctx, cp.AdminTLSConfig(), server+"/readyz", "ok", etcd, apiServer); err != nil {
		return cp, err
	}
	log.Info("API server ready", "after", time.Since(began).Round(time.Millisecond))

	// The controllers read the extension-apiserver-authentication ConfigMap
	// at start and exit without it, so they start once the API server is ready.
	cm, err := cp.start(ControllerManager, bins.ControllerManager,
		controllerManagerArgs(cfg, c, filepath.Join(cfg.Dir, "controller-manager.conf")))
	if err != nil {
		return cp, err
	}
	sched, err := cp.start(Scheduler, bins.Scheduler,
		schedulerArgs(cfg, c, filepath.Join(cfg.Dir, "scheduler.conf")))
	if err != nil {
		return cp, err
	}
	all := []*process{etcd, apiServer, cm, sched}
	caTLS := &tls.Config{RootCAs: cp.caPool, MinVersion: tls.VersionTLS12}
	for _, p := range []struct {
		proc *process
		port int
	}{{cm, cfg.Ports.ControllerManager}, {sched, cfg.Ports.Scheduler}} {
		url := "https://" + cfg.hostPort(p.port) + "/healthz"
		if err := cp.waitOK(ctx, caTLS, url, "ok", all...); err != nil {
			return cp, err
		}
	}
	log.Info("control plane started", "after", time.Since(began).Round(time.Millisecond))
	return cp, nil
}

// start starts one component and records it for Stop.
func (cp *ControlPlane) start(name, binary string, args []string) (*process, error) {
	p, err := startProcess(cp.log, name, binary, logFile(cp.cfg.Dir, name), args)
	if err != nil {
		return nil, err
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
// component that had exited on its own or had to be killed. Stop is safe to
// call more than once.
func (cp *ControlPlane) Stop() error {
	cp.stopOnce.Do(func() {
		var errs []error
		for i := len(cp.procs) - 1; i >= 0; i-- {
			errs = append(errs, cp.procs[i].stop(cp.log, stopGrace))
		}
		cp.stopErr = errors.Join(errs...)
		cp.log.Info("control plane stopped", "err", cp.stopErr)
	})
	return cp.stopErr
}

// Config is the configuration the control plane runs with, defaults filled in.
func (cp *ControlPlane) Config() ControlPlaneConfig { return cp.cfg }

// Endpoint is the API server's URL, like https://127.20.0.10:6443.
func (cp *ControlPlane) Endpoint() string { return cp.cfg.apiServerURL() }

// Admin returns cluster-admin credentials for the API server.
func (cp *ControlPlane) Admin() Credentials {
	return Credentials{
		Host:     cp.Endpoint(),
		CAData:   cp.certs.caPEM,
		CertData: cp.certs.admin.certPEM,
		KeyData:  cp.certs.admin.keyPEM,
	}
}

// AdminKubeconfig is a kubeconfig with the admin credentials embedded; it is
// also written to Dir/admin.conf.
func (cp *ControlPlane) AdminKubeconfig() []byte {
	return kubeconfig(cp.Endpoint(), cp.certs.caPEM, "kubernetes-admin", cp.certs.admin)
}

// AdminTLSConfig trusts the cluster CA and presents the admin certificate.
func (cp *ControlPlane) AdminTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: cp.caPool, Certificates: []tls.Certificate{cp.admin}, MinVersion: tls.VersionTLS12}
}

// AdminHTTPClient is an HTTP client that talks to the API server as admin.
func (cp *ControlPlane) AdminHTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cp.AdminTLSConfig()}}
}

// PIDs maps each started component's name to its process ID.
func (cp *ControlPlane) PIDs() map[string]int {
	pids := make(map[string]int, len(cp.procs))
	for _, p := range cp.procs {
		pids[p.name] = p.cmd.Process.Pid
	}
	return pids
}

// LogFile is the path of a component's log (standard output and error).
func (cp *ControlPlane) LogFile(component string) string { return logFile(cp.cfg.Dir, component) }
