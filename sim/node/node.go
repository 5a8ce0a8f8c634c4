package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// VM is the virtual machine a node runs on, as vCenter describes it.
type VM struct {
	// Ref is the managed object reference value, like "vm-42".
	Ref  string
	Name string
	// UUID is the BIOS UUID (config.uuid), which the guest reads as its
	// product UUID and the vSphere cloud provider puts in providerIDs.
	UUID     string
	NumCPU   int32
	MemoryMB int32
}

// GuestInfo is what VMware Tools reports about the running guest. The zero
// value means that Tools do not run (the VM is off).
type GuestInfo struct {
	Hostname string
	// IP is the guest's address with its prefix length.
	IP netip.Prefix
}

// GuestReporter publishes the guest's identity on its VM in vCenter, as
// VMware Tools does once the guest's network is up.
type GuestReporter func(GuestInfo) error

// Instance is a VM as the cloud provider sees it.
type Instance struct {
	Name string
	// UUID is the BIOS UUID.
	UUID     string
	NumCPU   int32
	MemoryMB int32
	// IP is the guest's address as VMware Tools report it ("" if unknown).
	IP string
}

// Cloud is the vSphere inventory as the simulated cloud provider queries it.
type Cloud interface {
	// Instance finds the VM with the BIOS UUID uuid (in any case) or, when
	// uuid is empty or unknown, the VM named name.
	Instance(uuid, name string) (Instance, bool)
}

// DefaultDiscoveryTimeout bounds a join's token discovery, as kubeadm's
// default discovery timeout does.
const DefaultDiscoveryTimeout = 5 * time.Minute

// Config describes a node.
type Config struct {
	// Metadata and Userdata are the decoded guestinfo.metadata and
	// guestinfo.userdata (see cloudinit.DecodeGuestInfo).
	Metadata, Userdata []byte
	// VM is the node's virtual machine.
	VM VM
	// RootDir stands for the guest's "/". It is created if needed.
	RootDir string
	// Logger receives the node's log; nil means slog.Default().
	Logger *slog.Logger
	// Guest, if set, is told the guest's identity when the node boots and
	// when it stops.
	Guest GuestReporter
	// Cloud, if set, is the inventory the simulated vSphere cloud provider
	// of control-plane nodes consults; nil runs no cloud provider.
	Cloud Cloud
	// ControlPlaneDie, if set, is consulted each time a control plane has
	// started at boot; when it returns true the control plane is killed
	// (a fault of kind controlplane.die).
	ControlPlaneDie func() bool
	// DiscoveryTimeout bounds token discovery; default DefaultDiscoveryTimeout.
	DiscoveryTimeout time.Duration
	// SSHPort is the port of the node's SSH server on its address; default
	// DefaultSSHPort.
	SSHPort int
	// SSHExecFault, if set, is consulted at each command run over SSH; when
	// it returns true the command fails once (a fault of kind ssh.exec).
	SSHExecFault func() bool
}

// Node is a simulated node VM: its guest OS, kubeadm, the kubelet and, on
// control-plane nodes, the control plane and the vSphere cloud provider.
// Its methods are safe for concurrent use.
type Node struct {
	cfg   Config
	spec  *cloudinit.Node
	files []cloudinit.File
	log   *slog.Logger

	// power serializes PowerOn, PowerOff and Destroy, so that a boot starts
	// only once the previous one has stopped.
	power  sync.Mutex
	mu     sync.Mutex
	status Status
	run    *run // the current boot; nil while off
}

// New parses the node's cloud-init and returns the node, powered off.
func New(cfg Config) (*Node, error) {
	if cfg.RootDir == "" {
		return nil, errors.New("node: RootDir is required")
	}
	spec, err := cloudinit.ParseNode(cfg.Metadata, cfg.Userdata)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	ud, err := cloudinit.ParseUserData(cfg.Userdata)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DiscoveryTimeout <= 0 {
		cfg.DiscoveryTimeout = DefaultDiscoveryTimeout
	}
	log := cfg.Logger.With("node", spec.Hostname, "vm", cfg.VM.Name, "ip", spec.Address.Addr(), "role", spec.Role)
	return &Node{
		cfg:    cfg,
		spec:   spec,
		files:  ud.WriteFiles,
		log:    log,
		status: Status{Phase: PhaseOff},
	}, nil
}

// Hostname is the node's host name (and Node name).
func (n *Node) Hostname() string { return n.spec.Hostname }

// IP is the node's static address.
func (n *Node) IP() netip.Addr { return n.spec.Address.Addr() }

// Role is what the node does at its first boot.
func (n *Node) Role() cloudinit.Role { return n.spec.Role }

// Spec is the node's bootstrap as parsed from its guestinfo.
func (n *Node) Spec() *cloudinit.Node { return n.spec }

// Userdata is a copy of the cloud-init userdata the node was made from: what its
// guestinfo carried when it first powered on.
func (n *Node) Userdata() []byte { return bytes.Clone(n.cfg.Userdata) }

// VM is the node's virtual machine.
func (n *Node) VM() VM { return n.cfg.VM }

// RootDir is the directory that stands for the guest's "/".
func (n *Node) RootDir() string { return n.cfg.RootDir }

// Status returns the node's state.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.status
}

// ControlPlane returns the node's control plane, or nil. Some of its
// components may be stopped (their static Pod manifests moved away): see
// ControlPlane.State and Running.
func (n *Node) ControlPlane() *kubeproc.ControlPlane {
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.controlPlane()
}

// HoldsVIP reports whether the node's kube-vip holds the control-plane
// virtual IP now.
func (n *Node) HoldsVIP() bool {
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.vip != nil && r.vip.Holding()
}

// PowerOn boots the node in the background, unless it is running already.
func (n *Node) PowerOn() {
	n.power.Lock()
	defer n.power.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.run != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{ctx: ctx, cancel: cancel, done: make(chan struct{})}
	n.run = r
	n.status = Status{Phase: PhaseBooting, Boots: n.status.Boots + 1, BootedAt: time.Now()}
	go n.boot(ctx, r)
}

// PowerOff stops the node, as pulling the plug would after a graceful
// shutdown of the kubelet: the kubelet marks its Node NotReady and stops,
// the control plane stops (its data stays), and VMware Tools stop
// reporting. It returns once everything has stopped.
func (n *Node) PowerOff() {
	n.power.Lock()
	defer n.power.Unlock()
	n.powerOff()
}

// CutPower stops the node as a power cut does (vSphere's PowerOffVM_Task,
// a failed host): like PowerOff, except that the kubelet stops without a
// last status report, so its Node stays Ready until the control plane's
// node lifecycle controller notices the silence.
func (n *Node) CutPower() {
	n.power.Lock()
	defer n.power.Unlock()
	n.mu.Lock()
	if n.run != nil {
		n.run.cut.Store(true)
	}
	n.mu.Unlock()
	n.powerOff()
}

// powerOff is PowerOff; the caller holds n.power.
func (n *Node) powerOff() {
	n.mu.Lock()
	r := n.run
	n.run = nil
	n.mu.Unlock()
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
	n.reportGuest(GuestInfo{})
	n.mu.Lock()
	n.status.Phase = PhaseOff
	n.mu.Unlock()
	n.log.Info("powered off")
}

// Destroy powers the node off and deletes its disk (the root directory).
func (n *Node) Destroy() error {
	n.power.Lock()
	defer n.power.Unlock()
	n.powerOff()
	if err := os.RemoveAll(n.cfg.RootDir); err != nil {
		return fmt.Errorf("node %s: delete disk: %w", n.Hostname(), err)
	}
	return nil
}

// KillControlPlane kills the node's control-plane processes, as a crash
// would. They stay dead until the node is powered on again.
func (n *Node) KillControlPlane() error {
	cp := n.ControlPlane()
	if cp == nil {
		return fmt.Errorf("node %s: no control plane is running", n.Hostname())
	}
	cp.Kill()
	return nil
}

// CloudChanged tells the node's cloud provider, if it runs one, that the
// inventory changed (a VM was destroyed), so that it reconciles now.
func (n *Node) CloudChanged() {
	n.mu.Lock()
	r := n.run
	n.mu.Unlock()
	if r != nil {
		if cp := r.cloudProvider(); cp != nil {
			cp.nudge()
		}
	}
}

// setPhase records the boot's progress.
func (n *Node) setPhase(p Phase, reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.status.Phase, n.status.Reason = p, reason
}

// reportGuest tells vCenter the guest's identity.
func (n *Node) reportGuest(info GuestInfo) {
	if n.cfg.Guest == nil {
		return
	}
	if err := n.cfg.Guest(info); err != nil {
		n.log.Warn("report guest identity", "err", err)
	}
}
