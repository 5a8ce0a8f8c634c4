package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/antreamc"
	"github.com/clusterwright/clusterwright/sim/csi"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node"
)

// DatacenterOptions configures StartDatacenter.
type DatacenterOptions struct {
	// VCenter configures the simulated vCenter.
	VCenter VCenterOptions
	// StateDir holds the nodes' disks: the root directory of the node with
	// host name H is StateDir/nodes/H. Required. A VM's disk is blank at its
	// first boot (whatever an earlier VM of that host name left is removed)
	// and kept across power cycles until the VM is destroyed.
	StateDir string
	// Faults, if set, is consulted by the vCenter (see VCenterOptions.Faults)
	// and by the nodes: KindNodeBoot makes a node never boot (no guest
	// address ever appears), KindControlPlaneDie kills a node's control
	// plane once it has started at boot, KindNodePowerCut makes a power-off
	// a cut (the kubelet does not report its Node NotReady).
	Faults *Faults
	// Logger receives the datacenter's and the nodes' logs; nil means slog.Default().
	Logger *slog.Logger
	// Multicluster times the simulated Antrea multi-cluster controllers
	// (see package sim/antreamc); the zero value is the real controller's.
	Multicluster antreamc.Options
	// CSI times the simulated vSphere CSI controllers (see package
	// sim/csi); the zero value is fine.
	CSI csi.Options
	// SSHPort is the port of every node's SSH server on the node's address;
	// 0 means node.DefaultSSHPort (22). Faults of kind KindSSHExec make
	// commands run over SSH fail.
	SSHPort int
}

// Datacenter is a simulated vCenter whose VMs boot into Kubernetes nodes:
// when a VM that carries Clusterwright's cloud-init in its guestinfo powers
// on, it boots as a node (see package sim/node). Production code creates
// the VMs with the vSphere API and reaches the clusters at their nodes'
// addresses, unchanged. Its methods are safe for concurrent use.
type Datacenter struct {
	vc     *VCenter
	opts   DatacenterOptions
	log    *slog.Logger
	client *vim25.Client
	cancel context.CancelFunc
	ctx    context.Context

	watchDone chan struct{}
	workers   sync.WaitGroup

	// seats keeps a node from booting before the node that ran on its host
	// name or address has stopped.
	seats seats

	mu     sync.Mutex
	vms    map[string]*vmRecord // by managed object reference value
	closed bool
}

// vmRecord is what the datacenter knows of a VM, from the property
// collector's updates.
type vmRecord struct {
	ref        types.ManagedObjectReference
	name, uuid string
	numCPU     int32
	memoryMB   int32
	ip         string
	template   bool
	power      types.VirtualMachinePowerState

	// work runs the VM's power events one at a time, in order.
	work chan func()
	// node is the VM's node once it has booted as one, and guestinfo the
	// guestinfo it was made from; only the VM's worker sets them.
	node      *node.Node
	guestinfo string
	// stopMulticluster stops the simulated Antrea multi-cluster controller
	// of the cluster whose first control plane this VM is; nil if none.
	stopMulticluster context.CancelFunc
	// stopCSI stops the simulated vSphere CSI controller of the cluster
	// whose first control plane this VM is; nil if none.
	stopCSI context.CancelFunc
}

// vmProperties are the VirtualMachine properties the datacenter watches.
var vmProperties = []string{
	"name", "runtime.powerState", "config.extraConfig", "config.uuid", "config.template",
	"config.hardware.numCPU", "config.hardware.memoryMB", "guest.ipAddress",
}

// StartDatacenter starts a simulated vCenter (with opts.VCenter and
// opts.Faults) and watches its VMs through the property collector
// (WaitForUpdatesEx), as any vSphere client would, booting nodes as their
// VMs power on. It returns
// once the current inventory has been seen.
func StartDatacenter(ctx context.Context, opts DatacenterOptions) (*Datacenter, error) {
	if opts.StateDir == "" {
		return nil, errors.New("sim: DatacenterOptions.StateDir is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.VCenter.Logger == nil {
		opts.VCenter.Logger = opts.Logger
	}
	if opts.Faults != nil {
		opts.VCenter.Faults = opts.Faults
	}
	opts.Faults = opts.VCenter.Faults
	vc, err := StartVCenter(opts.VCenter)
	if err != nil {
		return nil, err
	}
	client, err := loginSelf(ctx, vc)
	if err != nil {
		vc.Close()
		return nil, err
	}
	watchCtx, cancel := context.WithCancel(context.Background())
	d := &Datacenter{
		vc:        vc,
		opts:      opts,
		log:       opts.Logger.With("vcenter", vc.URL().Host),
		client:    client,
		cancel:    cancel,
		ctx:       watchCtx,
		watchDone: make(chan struct{}),
		vms:       map[string]*vmRecord{},
	}
	ready := make(chan error, 1)
	go d.watch(ready)
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("sim: watch VMs: %w", err)
	}
	return d, nil
}

// loginSelf logs in to the simulated vCenter with its own credentials and
// its certificate pinned.
func loginSelf(ctx context.Context, vc *VCenter) (*vim25.Client, error) {
	sc := soap.NewClient(vc.URL(), false)
	sc.DefaultTransport().TLSClientConfig = pinnedTLSConfig(vc.Thumbprint)
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("sim: connect to the simulated vCenter: %w", err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(vc.Username, vc.Password)); err != nil {
		return nil, fmt.Errorf("sim: log in to the simulated vCenter: %w", err)
	}
	return c, nil
}

// VCenter is the datacenter's vCenter.
func (d *Datacenter) VCenter() *VCenter { return d.vc }

// Nodes returns the VMs that have booted as nodes, by host name.
func (d *Datacenter) Nodes() []*node.Node {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*node.Node
	for _, rec := range d.vms {
		if rec.node != nil {
			out = append(out, rec.node)
		}
	}
	slices.SortFunc(out, func(a, b *node.Node) int { return strings.Compare(a.Hostname(), b.Hostname()) })
	return out
}

// Node returns the node with the host name hostname, or nil.
func (d *Datacenter) Node(hostname string) *node.Node {
	for _, n := range d.Nodes() {
		if n.Hostname() == hostname {
			return n
		}
	}
	return nil
}

// KillControlPlane kills the control-plane processes of the node hostname,
// as a crash would; they stay dead until its VM is powered on again.
func (d *Datacenter) KillControlPlane(hostname string) error {
	n := d.Node(hostname)
	if n == nil {
		return fmt.Errorf("sim: no node %q", hostname)
	}
	return n.KillControlPlane()
}

// Close stops watching, powers every node off (stopping its processes) and
// stops the vCenter. The nodes' disks stay in StateDir.
func (d *Datacenter) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	<-d.watchDone
	d.mu.Lock()
	recs := slices.Collect(maps.Values(d.vms))
	d.vms = map[string]*vmRecord{}
	d.mu.Unlock()
	// Workers first, so that their kubelets can still report to their
	// control planes; then the control-plane nodes.
	var workers sync.WaitGroup
	for _, rec := range recs {
		workers.Add(1)
		rec.work <- func() {
			defer workers.Done()
			if n := d.nodeOf(rec); n != nil && !hasControlPlane(n) {
				n.PowerOff()
			}
		}
	}
	workers.Wait()
	for _, rec := range recs {
		rec.work <- func() {
			if n := d.nodeOf(rec); n != nil {
				n.PowerOff()
			}
		}
		close(rec.work)
	}
	d.workers.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = session.NewManager(d.client).Logout(ctx)
	d.vc.Close()
}

// hasControlPlane reports whether a node runs (or set out to run) a control plane.
func hasControlPlane(n *node.Node) bool {
	return n.ControlPlane() != nil || n.Role() != cloudinit.RoleJoinWorker
}

// watch follows every VM of the inventory with one property collector
// filter and WaitForUpdatesEx until Close. The first update set (the
// inventory as it is) is reported on ready.
//
// The filter traverses the inventory from the root folder rather than
// through a ContainerView: in vcsim (govmomi v0.56) a filter over a
// ContainerView can deadlock while VMs are created (ContainerView.PutObject
// locks the view and then the filter, the filter's resync locks the filter
// and then the view).
func (d *Datacenter) watch(ready chan<- error) {
	defer close(d.watchDone)
	ctx := d.ctx
	c := d.client
	pc, err := property.DefaultCollector(c).Create(ctx)
	if err != nil {
		ready <- err
		return
	}
	filter := new(property.WaitFilter)
	filter.Spec.ObjectSet = []types.ObjectSpec{{
		Obj:       c.ServiceContent.RootFolder,
		Skip:      types.NewBool(true),
		SelectSet: vmTraversal(),
	}}
	filter.Spec.PropSet = []types.PropertySpec{{Type: "VirtualMachine", PathSet: vmProperties}}
	first := true
	err = property.WaitForUpdatesEx(ctx, pc, filter, func(updates []types.ObjectUpdate) bool {
		d.apply(updates)
		if first {
			first = false
			ready <- nil
		}
		return false
	})
	if first {
		ready <- err
	} else if err != nil && ctx.Err() == nil {
		d.log.Error("watching VMs stopped", "err", err)
	}
}

// vmTraversal reaches every VM from the root folder: through folders,
// datacenters' VM folders and vApps.
func vmTraversal() []types.BaseSelectionSpec {
	sel := func(names ...string) []types.BaseSelectionSpec {
		var out []types.BaseSelectionSpec
		for _, n := range names {
			out = append(out, &types.SelectionSpec{Name: n})
		}
		return out
	}
	return []types.BaseSelectionSpec{
		&types.TraversalSpec{
			SelectionSpec: types.SelectionSpec{Name: "folder"}, Type: "Folder", Path: "childEntity",
			SelectSet: sel("folder", "datacenter", "vapp"),
		},
		&types.TraversalSpec{
			SelectionSpec: types.SelectionSpec{Name: "datacenter"}, Type: "Datacenter", Path: "vmFolder",
			SelectSet: sel("folder"),
		},
		&types.TraversalSpec{
			SelectionSpec: types.SelectionSpec{Name: "vapp"}, Type: "VirtualApp", Path: "vm",
		},
	}
}

// apply records property collector updates and starts the power events
// they imply. It runs in the watcher only, so each VM's events reach its
// worker in order.
func (d *Datacenter) apply(updates []types.ObjectUpdate) {
	var events []vmEvent
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	for _, u := range updates {
		switch u.Kind {
		case types.ObjectUpdateKindEnter, types.ObjectUpdateKindModify:
			events = append(events, d.vmChanged(u.Obj, u.ChangeSet)...)
		case types.ObjectUpdateKindLeave:
			events = append(events, d.vmGone(u.Obj)...)
		}
	}
	d.mu.Unlock()
	for _, e := range events {
		if e.run != nil {
			e.rec.work <- e.run
		}
		if e.last {
			close(e.rec.work)
		}
	}
}

// vmEvent is work for a VM's worker: run, and then no more if last.
type vmEvent struct {
	rec  *vmRecord
	run  func()
	last bool
}

// vmChanged applies property changes to a VM's record and returns the
// power event they make; the caller holds d.mu.
func (d *Datacenter) vmChanged(ref types.ManagedObjectReference, changes []types.PropertyChange) []vmEvent {
	rec, ok := d.vms[ref.Value]
	if !ok {
		rec = &vmRecord{ref: ref, work: make(chan func(), 16)}
		d.vms[ref.Value] = rec
		d.workers.Go(func() {
			for f := range rec.work {
				f()
			}
		})
	}
	was := rec.power
	for _, c := range changes {
		switch c.Name {
		case "name":
			rec.name, _ = c.Val.(string)
		case "runtime.powerState":
			rec.power, _ = c.Val.(types.VirtualMachinePowerState)
		case "config.uuid":
			rec.uuid, _ = c.Val.(string)
		case "config.template":
			rec.template, _ = c.Val.(bool)
		case "config.hardware.numCPU":
			rec.numCPU, _ = c.Val.(int32)
		case "config.hardware.memoryMB":
			rec.memoryMB, _ = c.Val.(int32)
		case "guest.ipAddress":
			rec.ip, _ = c.Val.(string)
		}
	}
	switch {
	case rec.power == was:
	case rec.power == types.VirtualMachinePowerStatePoweredOn:
		return []vmEvent{{rec: rec, run: func() { d.powerOn(rec) }}}
	case was == types.VirtualMachinePowerStatePoweredOn:
		return []vmEvent{{rec: rec, run: func() { d.powerOff(rec) }}}
	}
	return nil
}

// vmGone forgets a destroyed VM and returns the event that destroys its
// node; the caller holds d.mu.
func (d *Datacenter) vmGone(ref types.ManagedObjectReference) []vmEvent {
	rec, ok := d.vms[ref.Value]
	if !ok {
		return nil
	}
	delete(d.vms, ref.Value)
	return []vmEvent{{rec: rec, last: true, run: func() {
		n := d.nodeOf(rec)
		if n == nil {
			return
		}
		if err := n.Destroy(); err != nil {
			d.log.Warn("destroy node", "vm", rec.name, "err", err)
		}
		d.seats.release(n)
		if rec.stopMulticluster != nil {
			rec.stopMulticluster()
		}
		if rec.stopCSI != nil {
			rec.stopCSI()
		}
		d.log.Info("VM destroyed: node gone", "vm", rec.name, "node", n.Hostname())
		d.cloudChanged()
	}}}
}

// nodeOf returns the VM's node, or nil.
func (d *Datacenter) nodeOf(rec *vmRecord) *node.Node {
	d.mu.Lock()
	defer d.mu.Unlock()
	return rec.node
}

// cloudChanged tells the nodes' cloud providers that a VM is gone.
func (d *Datacenter) cloudChanged() {
	for _, n := range d.Nodes() {
		n.CloudChanged()
	}
}

// powerOn boots the VM's node, if the VM carries a node's cloud-init. It
// runs in the VM's worker.
func (d *Datacenter) powerOn(rec *vmRecord) {
	var vm mo.VirtualMachine
	err := property.DefaultCollector(d.client).RetrieveOne(d.ctx, rec.ref,
		[]string{"name", "runtime.powerState", "config.extraConfig", "config.uuid", "config.hardware"}, &vm)
	if err != nil {
		if d.ctx.Err() == nil {
			d.log.Warn("read powered-on VM", "vm", rec.ref.Value, "err", err)
		}
		return
	}
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || vm.Config == nil {
		return // off again already
	}
	extra := map[string]string{}
	for _, o := range vm.Config.ExtraConfig {
		if ov := o.GetOptionValue(); ov != nil {
			if s, ok := ov.Value.(string); ok {
				extra[ov.Key] = s
			}
		}
	}
	if _, ok := extra[cloudinit.GuestInfoMetadata]; !ok {
		return // a VM without Clusterwright's cloud-init
	}
	if d.opts.Faults.Hit(KindNodeBoot, vm.Name) {
		d.log.Warn("fault node.boot: the VM does not boot", "vm", vm.Name)
		return
	}
	guestinfo := strings.Join([]string{
		extra[cloudinit.GuestInfoMetadata], extra[cloudinit.GuestInfoMetadataEncoding],
		extra[cloudinit.GuestInfoUserdata], extra[cloudinit.GuestInfoUserdataEncoding],
	}, "\x00")
	n := d.nodeOf(rec)
	firstBoot := n == nil
	// Userdata removed after the first boot (as Clusterwright does once a
	// node has joined) leaves the instance as it is: cloud-init does not run
	// again for the same metadata.
	userdataCleared := n != nil && extra[cloudinit.GuestInfoUserdata] == "" &&
		strings.HasPrefix(rec.guestinfo, extra[cloudinit.GuestInfoMetadata]+"\x00"+extra[cloudinit.GuestInfoMetadataEncoding]+"\x00")
	fresh := n == nil || (guestinfo != rec.guestinfo && !userdataCleared)
	if fresh {
		// First boot, or the guestinfo was changed while the VM was off:
		// the guest reads it anew (cloud-init runs again if the instance
		// ID changed).
		if n, err = d.newNode(rec, vm, extra); err != nil {
			d.log.Error("VM does not boot as a node", "vm", vm.Name, "err", err)
			return
		}
	}
	if !d.takeSeats(vm.Name, n) {
		return
	}
	if firstBoot {
		// The VM's first boot here: a disk left under its host name belongs
		// to a VM destroyed before or of an earlier vCenter (the simulated
		// inventory does not outlive the process), and a new VM starts with a
		// blank disk.
		if err := os.RemoveAll(n.RootDir()); err != nil {
			d.seats.release(n)
			d.log.Error("VM does not boot as a node: clear stale disk", "vm", vm.Name, "err", err)
			return
		}
	}
	if fresh {
		d.mu.Lock()
		rec.node, rec.guestinfo = n, guestinfo
		d.mu.Unlock()
	}
	n.PowerOn()
	d.superviseMulticluster(rec, n)
	d.superviseCSI(rec, n)
}

// seatWait bounds how long a node waits for the node before it on its host name or
// address to stop; a node that still runs then is another VM's, on the same address.
const seatWait = time.Minute

// takeSeats waits until no other node runs on n's host name or address and reports
// whether n, of VM vmName, may boot.
func (d *Datacenter) takeSeats(vmName string, n *node.Node) bool {
	ctx, cancel := context.WithTimeout(d.ctx, seatWait)
	defer cancel()
	var holder *node.Node
	err := d.seats.take(ctx, n, func(h *node.Node) {
		holder = h
		d.log.Info("waiting for the node before to stop", "vm", vmName, "node", h.Hostname(), "ip", h.IP(), "holder_vm", h.VM().Name)
	})
	if err != nil && d.ctx.Err() == nil {
		d.log.Error("VM does not boot as a node: another node still runs on its host name or address",
			"vm", vmName, "node", holder.Hostname(), "ip", holder.IP(), "holder_vm", holder.VM().Name, "waited", seatWait)
	}
	return err == nil
}

// waitHostname waits, at most seatWait, until no node of a VM other than vmRef has
// the host name: a VM deleted just before a new one of the same name is made may
// still be forgetting its node when the new one boots.
func (d *Datacenter) waitHostname(hostname, vmRef string) error {
	deadline := time.Now().Add(seatWait)
	for logged := false; ; logged = true {
		other := d.Node(hostname)
		if other == nil || other.VM().Ref == vmRef {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("host name %q is taken by VM %s", hostname, other.VM().Name)
		}
		if !logged {
			d.log.Info("waiting for the node before to go", "node", hostname, "holder_vm", other.VM().Name)
		}
		select {
		case <-d.ctx.Done():
			return d.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// newNode makes the node of a VM from its guestinfo.
func (d *Datacenter) newNode(rec *vmRecord, vm mo.VirtualMachine, extra map[string]string) (*node.Node, error) {
	md, ud, err := cloudinit.DecodeGuestInfo(extra)
	if err != nil {
		return nil, err
	}
	spec, err := cloudinit.ParseNode(md, ud)
	if err != nil {
		return nil, err
	}
	if err := d.waitHostname(spec.Hostname, rec.ref.Value); err != nil {
		return nil, err
	}
	root := filepath.Join(d.opts.StateDir, "nodes", spec.Hostname)
	ref, name := rec.ref, vm.Name
	return node.New(node.Config{
		Metadata: md,
		Userdata: ud,
		VM: node.VM{
			Ref: ref.Value, Name: name, UUID: vm.Config.Uuid,
			NumCPU: vm.Config.Hardware.NumCPU, MemoryMB: vm.Config.Hardware.MemoryMB,
		},
		RootDir: root,
		Logger:  d.opts.Logger,
		Guest:   func(info node.GuestInfo) error { return d.reportGuest(ref, info) },
		Cloud:   d,
		ControlPlaneDie: func() bool {
			return d.opts.Faults.Hit(KindControlPlaneDie, name)
		},
		SSHPort:      d.opts.SSHPort,
		SSHExecFault: func() bool { return d.opts.Faults.Hit(KindSSHExec, name) },
	})
}

// powerOff stops the VM's node: a guest shutdown, or a power cut when a
// KindNodePowerCut fault says so. It runs in the VM's worker.
func (d *Datacenter) powerOff(rec *vmRecord) {
	n := d.nodeOf(rec)
	if n == nil {
		return
	}
	if d.opts.Faults.Hit(KindNodePowerCut, rec.name) {
		d.log.Warn("fault node.powercut: the VM's power is cut, the guest does not shut down", "vm", rec.name)
		n.CutPower()
	} else {
		n.PowerOff()
	}
	d.seats.release(n)
}

// Instance implements node.Cloud: it finds a VM by BIOS UUID or name.
func (d *Datacenter) Instance(uuid, name string) (node.Instance, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var byName *vmRecord
	for _, rec := range d.vms {
		if rec.template {
			continue
		}
		if uuid != "" && strings.EqualFold(rec.uuid, uuid) {
			return rec.instance(), true
		}
		if rec.name == name {
			byName = rec
		}
	}
	if byName == nil {
		return node.Instance{}, false
	}
	return byName.instance(), true
}

func (rec *vmRecord) instance() node.Instance {
	return node.Instance{Name: rec.name, UUID: rec.uuid, NumCPU: rec.numCPU, MemoryMB: rec.memoryMB, IP: rec.ip}
}

// reportGuest sets the guest information of a VM as VMware Tools report
// it, through the simulator's object registry, so that property collector
// clients (govmomi's WaitForIP, `govc vm.ip`) see it. The zero GuestInfo
// means that Tools stopped (the VM is off).
func (d *Datacenter) reportGuest(ref types.ManagedObjectReference, info node.GuestInfo) error {
	model := d.vc.model
	// A context of its own: vcsim's object locks are held per context.
	ctx := *model.Service.Context
	vm, ok := model.Map().Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("VM %s does not exist", ref.Value)
	}
	ctx.WithLock(vm, func() {
		nics := slices.Clone(vm.Guest.Net)
		var ip, hostname any // nil clears the property
		running, tools := string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning), types.VirtualMachineToolsStatusToolsNotRunning
		state := "notRunning"
		if info.IP.IsValid() {
			ip, hostname = info.IP.Addr().String(), info.Hostname
			running, tools, state = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning), types.VirtualMachineToolsStatusToolsOk, "running"
		}
		for i := range nics {
			nics[i].IpAddress, nics[i].IpConfig = nil, nil
			if i == 0 && info.IP.IsValid() {
				addr := info.IP.Addr().String()
				nics[i].IpAddress = []string{addr}
				nics[i].IpConfig = &types.NetIpConfigInfo{IpAddress: []types.NetIpConfigInfoIpAddress{{
					IpAddress: addr, PrefixLength: int32(info.IP.Bits()),
					State: string(types.NetIpConfigInfoIpAddressStatusPreferred),
				}}}
			}
		}
		ctx.Update(vm, []types.PropertyChange{
			{Name: "guest.ipAddress", Val: ip},
			{Name: "summary.guest.ipAddress", Val: ip},
			{Name: "guest.hostName", Val: hostname},
			{Name: "summary.guest.hostName", Val: hostname},
			{Name: "guest.net", Val: nics},
			{Name: "guest.toolsRunningStatus", Val: running},
			{Name: "summary.guest.toolsRunningStatus", Val: running},
			{Name: "guest.toolsStatus", Val: tools},
			{Name: "summary.guest.toolsStatus", Val: tools},
			{Name: "guest.guestState", Val: state},
			{Name: "guest.guestId", Val: TemplateGuestID},
			{Name: "guest.guestFullName", Val: TemplateGuestFullName},
		})
	})
	return nil
}

// superviseMulticluster runs the simulated Antrea multi-cluster controller
// of a cluster on the VM of its first control plane (kubeadm init), as one
// Deployment replica of the real controller runs per cluster: it acts
// whenever that control plane runs, until the VM is destroyed or the
// datacenter closes. It runs in the VM's worker.
func (d *Datacenter) superviseMulticluster(rec *vmRecord, n *node.Node) {
	if rec.stopMulticluster != nil || n.Role() != cloudinit.RoleInit {
		return
	}
	ctx, cancel := context.WithCancel(d.ctx)
	rec.stopMulticluster = cancel
	opts := d.opts.Multicluster
	if opts.Logger == nil {
		opts.Logger = d.opts.Logger.With("vm", rec.name)
	}
	d.workers.Go(func() { antreamc.Supervise(ctx, d.adminConfig(rec), opts) })
}

// superviseCSI runs the simulated vSphere CSI controller of a cluster on
// the VM of its first control plane, like superviseMulticluster: it acts
// whenever that control plane runs and the cluster has the driver's
// controller Deployment. It runs in the VM's worker.
func (d *Datacenter) superviseCSI(rec *vmRecord, n *node.Node) {
	if rec.stopCSI != nil || n.Role() != cloudinit.RoleInit {
		return
	}
	ctx, cancel := context.WithCancel(d.ctx)
	rec.stopCSI = cancel
	opts := d.opts.CSI
	if opts.Logger == nil {
		opts.Logger = d.opts.Logger.With("vm", rec.name)
	}
	d.workers.Go(func() { csi.Supervise(ctx, d.adminConfig(rec), opts) })
}

// adminConfig returns the administrator REST config of the control plane
// on a VM while it runs, else nil.
func (d *Datacenter) adminConfig(rec *vmRecord) func() *rest.Config {
	return func() *rest.Config {
		n := d.nodeOf(rec)
		if n == nil {
			return nil
		}
		cp := n.ControlPlane()
		if cp == nil || cp.Exited() || cp.State(kubeproc.APIServer) != kubeproc.Running {
			return nil // its static Pods stopped through their manifests, say
		}
		admin := cp.Admin()
		return &rest.Config{Host: admin.Host, TLSClientConfig: rest.TLSClientConfig{
			CAData: admin.CAData, CertData: admin.CertData, KeyData: admin.KeyData,
		}}
	}
}
