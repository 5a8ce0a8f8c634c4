package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// Services of the simulated node, as systemd runs them. The simulator has
// no container runtime: the control plane's static Pods live and die with
// the kubelet that starts them from /etc/kubernetes/manifests. So
//
//	systemctl stop kubelet     stops the kubelet and the control plane,
//	systemctl start kubelet    starts the control plane from the manifests
//	                           there and its data directory, then the kubelet,
//	systemctl restart kubelet  does both: the kubelet comes back with the
//	                           installed kubelet package's version, the
//	                           control plane with the certificates and
//	                           binaries its manifests name now.
//
// Each returns once its job is done (the control plane answering), unless
// --no-block: then the job is queued and systemctl returns at once, as a
// real node's systemctl start kubelet returns before its static Pods run.
// Control planes whose etcd members need each other (a restored multi-member
// etcd) are started that way.
//
// On a real kubeadm node the static Pods' containers outlive the kubelet;
// the simulator keeps tying them to the kubelet service because its own
// tests and tools stop a whole node's control plane that way. What a real
// node does works too, and is what Clusterwright's node activities use: the
// running kubelet stops a static Pod whose manifest is moved out of
// /etc/kubernetes/manifests and starts it again when it is moved back, and
// `crictl ps` lists the running components (static_pod_watcher.go,
// ssh_crictl.go).

// restartGrace is how long each control-plane process has to exit when
// the control plane is restarted.
const restartGrace = 5 * time.Second

// serviceStartTimeout bounds the start of the control plane and kubelet.
const serviceStartTimeout = 2 * time.Minute

func (sh *shell) systemctl(cmd command) int {
	args := cmd.args
	noBlock := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") { // -q, --no-pager, --no-block, ...
		noBlock = noBlock || args[0] == "--no-block"
		args = args[1:]
	}
	if len(args) == 0 {
		return sh.fail(1, "systemctl", "the simulated node supports systemctl start|stop|restart|is-active|daemon-reload [kubelet|containerd]")
	}
	verb, units := args[0], args[1:]
	if verb == "daemon-reload" {
		if !cmd.root {
			return sh.fail(1, "Failed to reload daemon", "Interactive authentication required.")
		}
		return 0
	}
	if len(units) != 1 {
		return sh.fail(1, "systemctl", "the simulated node takes one unit per systemctl call")
	}
	unit := strings.TrimSuffix(units[0], ".service")
	if unit != "kubelet" && unit != "containerd" {
		if verb == "is-active" {
			fmt.Fprintln(sh.stdout, "inactive")
			return 3
		}
		return sh.fail(5, "Failed to "+verb+" "+unit+".service", "Unit %s.service not found.", unit)
	}
	switch verb {
	case "is-active":
		if unit == "containerd" || sh.kubeletRunning() {
			fmt.Fprintln(sh.stdout, "active")
			return 0
		}
		fmt.Fprintln(sh.stdout, "inactive")
		return 3
	case "start", "stop", "restart":
	default:
		return sh.fail(1, "systemctl", "verb %q is not supported by the simulated node", verb)
	}
	if !cmd.root {
		return sh.fail(1, "Failed to "+verb+" "+unit+".service", "Interactive authentication required.\nSee system logs and 'systemctl status %s.service' for details.", unit)
	}
	if unit == "containerd" {
		return 0
	}
	if noBlock {
		// The job is queued and systemctl returns; the unit starts or stops after it,
		// one job at a time. A failure shows in is-active and the journal (the log).
		go func() {
			sh.admin.Lock()
			defer sh.admin.Unlock()
			if err := sh.kubeletJob(verb); err != nil {
				sh.node.log.Error("systemctl --no-block "+verb+" kubelet", "err", err)
			}
		}()
		return 0
	}
	if err := sh.kubeletJob(verb); err != nil {
		sh.node.log.Error("systemctl "+verb+" kubelet", "err", err)
		fmt.Fprintf(sh.stderr, "Job for kubelet.service failed because the control process exited with error code.\n"+
			"See \"systemctl status kubelet.service\" and \"journalctl -xeu kubelet.service\" for details.\n")
		return 1
	}
	return 0
}

// kubeletJob stops, starts or restarts the kubelet and the control plane.
func (sh *shell) kubeletJob(verb string) error {
	switch verb {
	case "stop":
		return sh.stopKubelet()
	case "start":
		return sh.startKubelet(false)
	default:
		return sh.startKubelet(true)
	}
}

// kubeletRunning reports whether the node's kubelet runs.
func (sh *shell) kubeletRunning() bool {
	sh.run.mu.Lock()
	defer sh.run.mu.Unlock()
	return sh.run.kubelet != nil
}

// stopKubelet stops the kubelet and the control plane (its static Pods).
func (sh *shell) stopKubelet() error {
	r := sh.run
	r.mu.Lock()
	k := r.kubelet
	r.kubelet = nil
	r.mu.Unlock()
	if k != nil {
		k.stop() // and its static Pod watcher, before the control plane is taken
	}
	r.mu.Lock()
	cp := r.cp
	r.cp = nil
	r.mu.Unlock()
	if cp != nil {
		if err := cp.StopWithin(restartGrace); err != nil {
			sh.node.log.Info("control plane stopped", "err", err)
		}
	}
	return nil
}

// startKubelet starts the control plane from its manifest and the kubelet
// from its configuration, with the installed kubelet's version; with
// restart it first stops what runs.
func (sh *shell) startKubelet(restart bool) error {
	if st := sh.node.Status(); st.Phase != PhaseRunning {
		return fmt.Errorf("node is %s, not running", st.Phase)
	}
	if restart {
		if err := sh.stopKubelet(); err != nil {
			return err
		}
	} else if sh.kubeletRunning() {
		return nil
	}
	n := sh.node
	cpCfg, present, err := n.readStaticPods()
	if err != nil {
		return err
	}
	hasCP := len(present) > 0
	if hasCP {
		if err := sh.startControlPlane(cpCfg, present); err != nil {
			return err
		}
	}
	var kc kubeletConfig
	hasKubelet, err := readJSON(n.path(kubeletConfigPath), &kc)
	if err != nil || !hasKubelet {
		return errors.Join(err, errors.New("no kubelet configuration"))
	}
	pkgs, err := n.installedPackages()
	if err != nil {
		return err
	}
	kc.Version = kubeVersion(pkgs.Kubelet)
	if kc.StaticPods != nil && hasCP {
		kc.StaticPods.Version = cpCfg.Version
	}
	if err := writeJSON(n.path(kubeletConfigPath), kc); err != nil {
		return err
	}
	// The kubelet runs until power-off, not until this command ends.
	k, err := startKubelet(sh.run.ctx, kc, n.cfg.VM, n.path(kc.Kubeconfig), n.log)
	if err != nil {
		return fmt.Errorf("kubelet: %w", err)
	}
	if err := sh.keep(func() { k.stop() }, func(r *run) { r.kubelet = k }); err != nil {
		return err
	}
	n.watchStaticPods(sh.run, k)
	return nil
}

// startControlPlane starts the components of the control plane of cfg named
// in present and records it in the node's boot; a running one is stopped
// first.
func (sh *shell) startControlPlane(cfg kubeproc.ControlPlaneConfig, present []string) error {
	r := sh.run
	r.pods.Lock()
	defer r.pods.Unlock()
	r.mu.Lock()
	old := r.cp
	r.cp = nil
	r.mu.Unlock()
	if old != nil {
		if err := old.StopWithin(restartGrace); err != nil {
			sh.node.log.Info("control plane stopped", "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(sh.ctx, serviceStartTimeout)
	defer cancel()
	cp, err := kubeproc.StartComponents(ctx, cfg, sh.node.cfg.Logger.With("vm", sh.node.cfg.VM.Name), present)
	if err != nil {
		return err
	}
	return sh.keep(func() { _ = cp.Stop() }, func(r *run) { r.cp = cp })
}

// keep records a started service in the node's boot, unless the node was
// powered off meanwhile: then the service is stopped again (power-off has
// already stopped what the boot recorded).
func (sh *shell) keep(stop func(), record func(r *run)) error {
	r := sh.run
	r.mu.Lock()
	if r.ctx.Err() != nil {
		r.mu.Unlock()
		stop()
		return errors.New("the node was powered off")
	}
	record(r)
	r.mu.Unlock()
	return nil
}
