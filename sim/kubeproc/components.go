package kubeproc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"time"
)

// Components are the control-plane components, in start order.
var Components = []string{Etcd, APIServer, ControllerManager, Scheduler}

// State is where a component of a control plane stands.
type State string

// States of a component.
const (
	// NotStarted: the component was never started in this control plane.
	NotStarted State = "NotStarted"
	// Running: its process runs (it may not answer yet).
	Running State = "Running"
	// Stopped: StopComponent stopped it.
	Stopped State = "Stopped"
	// Killed: Kill killed it (a crash the simulator caused on purpose).
	Killed State = "Killed"
	// Exited: its process exited on its own.
	Exited State = "Exited"
)

// Container is a running component, as a container runtime lists it.
type Container struct {
	Name    string
	PID     int
	Started time.Time
}

// State says where the component name stands.
func (cp *ControlPlane) State(name string) State {
	p := cp.process(name)
	switch {
	case p == nil:
		return NotStarted
	case !p.exited():
		return Running
	case p.stopped.Load():
		return Stopped
	case p.killed.Load():
		return Killed
	default:
		return Exited
	}
}

// Running lists the components whose processes run, in the order of
// Components.
func (cp *ControlPlane) Running() []Container {
	var out []Container
	for _, name := range Components {
		if p := cp.process(name); p != nil && !p.exited() {
			out = append(out, Container{Name: name, PID: p.cmd.Process.Pid, Started: p.started})
		}
	}
	return out
}

// process is the last process started for the component name, or nil.
func (cp *ControlPlane) process(name string) *process {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for _, p := range cp.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// StopComponent stops one component as the kubelet stops a static Pod whose
// manifest went away: SIGTERM, then SIGKILL after grace. A component that
// does not run is left as it is. It reports a component that had exited on
// its own or had to be killed.
func (cp *ControlPlane) StopComponent(name string, grace time.Duration) error {
	p := cp.process(name)
	if p == nil {
		return nil
	}
	p.stopped.Store(true)
	return p.stop(cp.log, grace)
}

// StartComponent starts one component (again), with the certificates on
// disk now, and returns once it answers: etcd's /health, the API server's
// /readyz, the controllers' /healthz. A component that runs is left as it
// is. The component's process keeps running when ctx ends before it
// answers, as a container that is not ready yet does. It fails once the
// control plane was stopped.
func (cp *ControlPlane) StartComponent(ctx context.Context, name string) error {
	if cp.State(name) == Running {
		return nil
	}
	if err := cp.loadCerts(); err != nil {
		return err
	}
	bins, err := Binaries(cp.cfg.Version)
	if err != nil {
		return err
	}
	cfg := cp.cfg
	c, pool, _ := cp.loaded()
	began := time.Now()
	switch name {
	case Etcd:
		etcdTLS, err := cp.clientTLS(cfg.PKI.EtcdCACert, c.apiServerEtcd)
		if err != nil {
			return err
		}
		p, err := cp.start(Etcd, bins.Etcd, etcdArgs(cfg, c))
		if err != nil {
			return err
		}
		health := cfg.etcdClientURL() + "/health"
		if cfg.Etcd.Join {
			// A learner serves no linearizable reads until it is promoted.
			health += "?serializable=true"
		}
		if err := cp.waitOK(ctx, etcdTLS, health, `"health":"true"`, p); err != nil {
			return err
		}
		cp.log.Debug("etcd member answers", "after", time.Since(began).Round(time.Millisecond))
		if cfg.Etcd.OnStarted != nil {
			if err := cfg.Etcd.OnStarted(ctx); err != nil {
				return fmt.Errorf("etcd member started: %w", err)
			}
			cp.log.Debug("etcd member ready", "after", time.Since(began).Round(time.Millisecond))
		}
	case APIServer:
		p, err := cp.start(APIServer, bins.APIServer, apiServerArgs(cfg, c))
		if err != nil {
			return err
		}
		if err := cp.waitOK(ctx, cp.AdminTLSConfig(), cfg.apiServerURL()+"/readyz", "ok", p); err != nil {
			return err
		}
		cp.log.Info("API server ready", "after", time.Since(began).Round(time.Millisecond))
	case ControllerManager, Scheduler:
		// The controllers read the extension-apiserver-authentication ConfigMap
		// at start and exit without it: they start once the API server is ready.
		binary, args, port := bins.ControllerManager,
			controllerManagerArgs(cfg, c, filepath.Join(cfg.Layout.KubeconfigDir, ControllerManagerConf)), cfg.Ports.ControllerManager
		if name == Scheduler {
			binary, args, port = bins.Scheduler,
				schedulerArgs(cfg, c, filepath.Join(cfg.Layout.KubeconfigDir, SchedulerConf)), cfg.Ports.Scheduler
		}
		p, err := cp.start(name, binary, args)
		if err != nil {
			return err
		}
		caTLS := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if err := cp.waitOK(ctx, caTLS, "https://"+cfg.hostPort(port)+"/healthz", "ok", p); err != nil {
			return err
		}
	default:
		return fmt.Errorf("kubeproc: no component %q", name)
	}
	return nil
}

// loaded returns the certificates last read from disk.
func (cp *ControlPlane) loaded() (*certs, *x509.CertPool, tls.Certificate) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.certs, cp.caPool, cp.admin
}
