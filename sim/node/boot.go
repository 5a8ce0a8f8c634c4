package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// powerOffGrace is how long each control-plane process has to exit at
// power-off before it is killed.
const powerOffGrace = 3 * time.Second

// run is one boot of a node: from power-on to power-off.
type run struct {
	ctx    context.Context // ends at power-off
	cancel context.CancelFunc
	done   chan struct{} // closed once everything of the boot has stopped
	// cut makes the power-off a power cut: the kubelet does not report.
	cut atomic.Bool

	// pods is held while the control plane is replaced (kubeadm upgrade) or
	// its static Pods are synced with their manifests (static_pod_watcher.go).
	pods sync.Mutex

	mu      sync.Mutex
	cp      *kubeproc.ControlPlane
	kubelet *kubelet
	cloud   *cloudProvider
	ssh     *sshServer
	vip     *kubeVIP
}

func (r *run) controlPlane() *kubeproc.ControlPlane {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cp
}

func (r *run) cloudProvider() *cloudProvider {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cloud
}

// boot is the life of the guest from power-on to power-off.
func (n *Node) boot(ctx context.Context, r *run) {
	defer close(r.done)
	defer n.stopServices(r)
	n.log.Info("booting")
	err := n.bootServices(ctx, r)
	switch {
	case ctx.Err() != nil:
		return // powered off while booting
	case err != nil:
		n.log.Error("node bootstrap failed", "err", err)
		n.setPhase(PhaseFailed, err.Error())
	default:
		n.mu.Lock()
		n.status.Phase, n.status.ReadyAt = PhaseRunning, time.Now()
		n.mu.Unlock()
		n.log.Info("node up", "after", time.Since(n.Status().BootedAt).Round(time.Millisecond))
		if cp := r.controlPlane(); cp != nil && n.cfg.ControlPlaneDie != nil && n.cfg.ControlPlaneDie() {
			n.log.Warn("fault controlplane.die: killing the control plane")
			cp.Kill()
		}
	}
	<-ctx.Done()
}

// bootServices runs cloud-init and, on the first boot of the instance,
// kubeadm; on later boots it starts what kubeadm set up.
func (n *Node) bootServices(ctx context.Context, r *run) error {
	first := !n.cloudInitDone()
	if first {
		if err := n.writeFiles(); err != nil {
			return fmt.Errorf("cloud-init: %w", err)
		}
	}
	n.reportGuest(GuestInfo{Hostname: n.spec.Hostname, IP: n.spec.Address})
	n.startSSH(r) // sshd starts with the network, whatever kubeadm does
	if !first {
		if reason := n.previousFailure(); reason != "" {
			return errors.New(reason)
		}
		return n.startServices(ctx, r)
	}

	err := n.kubeadm(ctx, r)
	if ctx.Err() != nil {
		// Powered off half way: cloud-init has not finished and runs again.
		return ctx.Err()
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", strings.Join(n.spec.Command, " "), err)
	}
	if merr := n.markCloudInitDone(err); merr != nil {
		return errors.Join(err, fmt.Errorf("cloud-init: %w", merr))
	}
	return err
}

// previousFailure returns the failure cloud-init recorded for the instance,
// if kubeadm failed at its first boot.
func (n *Node) previousFailure() string {
	b, err := os.ReadFile(filepath.Join(n.instanceDir(), "boot-finished"))
	if err != nil {
		return ""
	}
	reason, failed := strings.CutPrefix(strings.TrimSpace(string(b)), "runcmd failed: ")
	if !failed {
		return ""
	}
	return reason
}

// kubeadm runs the node's kubeadm command.
func (n *Node) kubeadm(ctx context.Context, r *run) error {
	switch n.spec.Role {
	case cloudinit.RoleInit:
		return n.kubeadmInit(ctx, r)
	case cloudinit.RoleJoinControlPlane, cloudinit.RoleJoinWorker:
		return n.kubeadmJoin(ctx, r)
	default:
		return fmt.Errorf("unknown role %q", n.spec.Role)
	}
}

// startServices starts what the kubelet starts at boot: the control plane
// from its manifest, then the kubelet itself, and on a control-plane node
// the cloud provider.
func (n *Node) startServices(ctx context.Context, r *run) error {
	cpCfg, present, err := n.readStaticPods()
	if err != nil {
		return err
	}
	hasCP := len(present) > 0
	if hasCP {
		if err := n.startStaticPods(ctx, r, cpCfg, present); err != nil {
			return err
		}
	}
	var kc kubeletConfig
	hasKubelet, err := readJSON(n.path(kubeletConfigPath), &kc)
	if err != nil {
		return err
	}
	if hasKubelet {
		// The kubelet binary is the installed package's, as systemctl
		// restart kubelet starts it (an upgraded package not restarted yet
		// runs at the next boot), and the control plane's mirror Pods show
		// the version of its manifests.
		if pkgs, err := n.installedPackages(); err == nil {
			kc.Version = kubeVersion(pkgs.Kubelet)
		}
		if kc.StaticPods != nil && hasCP {
			kc.StaticPods.Version = cpCfg.Version
		}
		if err := n.startKubelet(ctx, r, kc); err != nil {
			return err
		}
	}
	if hasCP {
		return n.startCloudProvider(r)
	}
	return nil
}

// startControlPlane starts the control plane and records it in r.
func (n *Node) startControlPlane(ctx context.Context, r *run, cfg kubeproc.ControlPlaneConfig) error {
	// kubeproc names the node and its address itself.
	cp, err := kubeproc.StartWithLogger(ctx, cfg, n.cfg.Logger.With("vm", n.cfg.VM.Name))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cp = cp
	r.mu.Unlock()
	return n.startKubeVIP(ctx, r, cfg)
}

// startKubeVIP starts kube-vip, as the kubelet starts its static Pod with the
// control plane, when the node bootstrap wrote its manifest.
func (n *Node) startKubeVIP(ctx context.Context, r *run, cfg kubeproc.ControlPlaneConfig) error {
	data, err := os.ReadFile(n.path(cloudinit.KubeVIPManifestPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	vcfg, ok, err := parseKubeVIPManifest(data)
	if err != nil || !ok {
		return err
	}
	local := localServer(cfg)
	k, err := startKubeVIP(ctx, vcfg, cfg.Name, n.path(vcfg.Kubeconfig), local, strings.TrimPrefix(local, "https://"), n.log)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.vip = k
	r.mu.Unlock()
	return nil
}

// startKubelet starts the simulated kubelet and records it in r.
func (n *Node) startKubelet(ctx context.Context, r *run, kc kubeletConfig) error {
	k, err := startKubelet(ctx, kc, n.cfg.VM, n.path(kc.Kubeconfig), n.log)
	if err != nil {
		return fmt.Errorf("kubelet: %w", err)
	}
	r.mu.Lock()
	r.kubelet = k
	r.mu.Unlock()
	n.watchStaticPods(r, k)
	return nil
}

// startCloudProvider starts the simulated vSphere cloud provider of a
// control-plane node, with the node's admin credentials.
func (n *Node) startCloudProvider(r *run) error {
	if n.cfg.Cloud == nil {
		return nil
	}
	server := ""
	if cp := r.controlPlane(); cp != nil {
		server = cp.Endpoint() // the CPI's Pods run on control-plane nodes
	}
	client, err := clientFromKubeconfig(n.path(adminConfPath), server)
	if err != nil {
		return fmt.Errorf("cloud provider: %w", err)
	}
	cp := startCloudProvider(client, n.cfg.Cloud, n.log)
	r.mu.Lock()
	r.cloud = cp
	r.mu.Unlock()
	return nil
}

// stopServices stops what runs, in the reverse order of the start.
func (n *Node) stopServices(r *run) {
	r.mu.Lock()
	k, cloud, cp, sshd, vip := r.kubelet, r.cloud, r.cp, r.ssh, r.vip
	r.kubelet, r.cloud, r.cp, r.ssh, r.vip = nil, nil, nil, nil, nil
	r.mu.Unlock()
	if vip != nil {
		// Shut down, kube-vip gives the VIP up to another control plane;
		// on a power cut the VIP waits for its Lease to expire.
		vip.stop(r.cut.Load())
	}
	if sshd != nil {
		sshd.stop()
	}
	if cloud != nil {
		cloud.stop()
	}
	switch {
	case k != nil && r.cut.Load():
		k.halt()
	case k != nil:
		k.stop()
	}
	if cp != nil {
		// Powering off gives the processes little time, as a guest shutdown
		// would before the power goes.
		if err := cp.StopWithin(powerOffGrace); err != nil {
			n.log.Info("control plane stopped", "err", err)
		}
	}
}
