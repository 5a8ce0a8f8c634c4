package vsphere

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// canary is a guestinfo value that must never show in an error or a log line.
const canary = "canary-Gu3st1nfo-S3cret-7f1d"

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// vmEnv is a simulated vCenter with a logged-in client and VM operations
// whose log is captured.
type vmEnv struct {
	t      *testing.T
	vc     *sim.VCenter
	faults *sim.Faults
	c      *vim25.Client
	ops    *VMOps
	logs   *syncBuffer
	logger *slog.Logger
}

func newVMEnv(t *testing.T, opts sim.VCenterOptions) *vmEnv {
	t.Helper()
	if opts.Faults == nil {
		opts.Faults = sim.NewFaults()
	}
	vc := startVCenter(t, opts)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sessions := NewSessions(logger)
	t.Cleanup(func() { sessions.Close(context.Background()) })
	gc, err := sessions.Client(context.Background(), "vc1", vc.Credentials())
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	env := &vmEnv{t: t, vc: vc, faults: opts.Faults, c: gc.Client, logs: logs, logger: logger}
	env.ops = &VMOps{Budget: NewTaskBudget(0), Logger: logger}
	t.Cleanup(env.assertNoCanaryInLogs)
	return env
}

func (e *vmEnv) assertNoCanaryInLogs() {
	if strings.Contains(e.logs.String(), canary) {
		e.t.Errorf("a guestinfo value was logged:\n%s", e.logs.String())
	}
}

// defaultPlacement is where the simulator's template is.
func defaultPlacement() domain.Placement {
	return domain.Placement{
		Datacenter: sim.DefaultDatacenter, ComputeCluster: sim.DefaultCluster,
		Datastore: sim.DefaultDatastore, Network: sim.DefaultNetwork, Template: sim.DefaultTemplate,
	}
}

// request returns a request for VM name of cluster "c1" with guestinfo
// holding the canary.
func request(name string) VMRequest {
	return VMRequest{
		VMSpec: VMSpec{
			VCenterID: "vc1", Placement: defaultPlacement(), Name: name, ClusterID: "c1",
			CPUs: 4, MemoryMiB: 8192, DiskGiB: 60,
		},
		GuestInfo: GuestInfoValues{
			"guestinfo.metadata":          "meta-" + canary,
			"guestinfo.metadata.encoding": "base64",
			"guestinfo.userdata":          "user-" + canary,
		},
	}
}

// ensure runs EnsureVM and fails the test on error.
func (e *vmEnv) ensure(req VMRequest) (VMInfo, bool) {
	e.t.Helper()
	info, created, err := e.ops.EnsureVM(context.Background(), e.c, req)
	if err != nil {
		e.t.Fatalf("EnsureVM %s: %v", req.Name, err)
	}
	return info, created
}

// vm reads the properties of the VM with moref.
func (e *vmEnv) vm(moref string, props ...string) mo.VirtualMachine {
	e.t.Helper()
	if len(props) == 0 {
		props = []string{"name", "config", "customValue", "runtime", "resourcePool", "datastore", "network", "parent", "guest"}
	}
	var vm mo.VirtualMachine
	if err := property.DefaultCollector(e.c).RetrieveOne(context.Background(), vmRef(moref), props, &vm); err != nil {
		e.t.Fatalf("read VM %s: %v", moref, err)
	}
	return vm
}

// countNamed counts the VMs (and templates) named name in the vCenter.
func (e *vmEnv) countNamed(name string) int {
	e.t.Helper()
	records, err := allRecords(context.Background(), e.c)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, r := range records {
		if r.name == name {
			n++
		}
	}
	return n
}

func (e *vmEnv) finder() *find.Finder {
	e.t.Helper()
	f := find.NewFinder(e.c)
	dc, err := f.Datacenter(context.Background(), sim.DefaultDatacenter)
	if err != nil {
		e.t.Fatal(err)
	}
	return f.SetDatacenter(dc)
}

// waitTask waits for a task started by the test.
func (e *vmEnv) waitTask(task *object.Task, err error) types.AnyType {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := task.WaitForResult(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info.Result
}

// plainClone clones the default template to a VM named name in folder (DC0's
// VM folder if nil), with extraConfig extra and no Clusterwright marker
// unless extra holds one: someone else's VM.
func (e *vmEnv) plainClone(name string, folder *object.Folder, extra map[string]string) *object.VirtualMachine {
	e.t.Helper()
	ctx := context.Background()
	f := e.finder()
	tmpl, err := f.VirtualMachine(ctx, sim.DefaultTemplate)
	if err != nil {
		e.t.Fatal(err)
	}
	if folder == nil {
		if folder, err = f.Folder(ctx, "/DC0/vm"); err != nil {
			e.t.Fatal(err)
		}
	}
	pool := e.rootPool()
	ref := pool.Reference()
	spec := types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: &ref}, Config: &types.VirtualMachineConfigSpec{}}
	for k, v := range extra {
		spec.Config.ExtraConfig = append(spec.Config.ExtraConfig, &types.OptionValue{Key: k, Value: v})
	}
	res := e.waitTask(tmpl.Clone(ctx, folder, name, spec))
	return object.NewVirtualMachine(e.c, res.(types.ManagedObjectReference))
}

func (e *vmEnv) rootPool() *object.ResourcePool {
	e.t.Helper()
	cluster, err := e.finder().ClusterComputeResource(context.Background(), sim.DefaultCluster)
	if err != nil {
		e.t.Fatal(err)
	}
	pool, err := cluster.ResourcePool(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return pool
}

// createTemplate creates a template named name at hardware version version
// with an LSI Logic controller (no ParaVirtual one), a 20 GiB disk and a NIC
// on "VM Network", as an older image would have.
func (e *vmEnv) createTemplate(name, version string) *object.VirtualMachine {
	e.t.Helper()
	ctx := context.Background()
	f := e.finder()
	ds, err := f.Datastore(ctx, sim.DefaultDatastore)
	if err != nil {
		e.t.Fatal(err)
	}
	network, err := f.Network(ctx, sim.DefaultNetwork)
	if err != nil {
		e.t.Fatal(err)
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("lsilogic")
	if err != nil {
		e.t.Fatal(err)
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), ds.Path(path.Join(name, name+".vmdk")))
	disk.CapacityInKB = 20 * 1024 * 1024
	nic, err := devices.CreateEthernetCard("e1000", backing)
	if err != nil {
		e.t.Fatal(err)
	}
	devices = append(devices, disk, nic)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		e.t.Fatal(err)
	}
	folder, err := f.Folder(ctx, "/DC0/vm")
	if err != nil {
		e.t.Fatal(err)
	}
	spec := types.VirtualMachineConfigSpec{
		Name: name, GuestId: "ubuntu64Guest", Version: version, NumCPUs: 2, MemoryMB: 4096,
		Files: &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", ds.Name())}, DeviceChange: changes,
	}
	res := e.waitTask(folder.CreateVM(ctx, spec, e.rootPool(), nil))
	vm := object.NewVirtualMachine(e.c, res.(types.ManagedObjectReference))
	if err := vm.MarkAsTemplate(ctx); err != nil {
		e.t.Fatal(err)
	}
	return vm
}

// snapshotTemplate gives the template name a current snapshot, the way an
// image pipeline prepares a template for linked clones.
func (e *vmEnv) snapshotTemplate(name string) types.ManagedObjectReference {
	e.t.Helper()
	ctx := context.Background()
	f := e.finder()
	tmpl, err := f.VirtualMachine(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	hosts, err := f.HostSystemList(ctx, "/"+sim.DefaultDatacenter+"/host/"+sim.DefaultCluster+"/*")
	if err != nil || len(hosts) == 0 {
		e.t.Fatalf("hosts: %v", err)
	}
	if err := tmpl.MarkAsVirtualMachine(ctx, *e.rootPool(), hosts[0]); err != nil {
		e.t.Fatal(err)
	}
	e.waitTask(tmpl.CreateSnapshot(ctx, "base", "", false, false))
	if err := tmpl.MarkAsTemplate(ctx); err != nil {
		e.t.Fatal(err)
	}
	var vm mo.VirtualMachine
	if err := tmpl.Properties(ctx, tmpl.Reference(), []string{"snapshot"}, &vm); err != nil || vm.Snapshot == nil || vm.Snapshot.CurrentSnapshot == nil {
		e.t.Fatalf("template has no current snapshot: %v", err)
	}
	return *vm.Snapshot.CurrentSnapshot
}

// recorder is a soap.RoundTripper that keeps the CloneVM_Task requests.
type recorder struct {
	next soap.RoundTripper
	mu   sync.Mutex
	reqs []types.CloneVM_Task
}

func (r *recorder) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	if b, ok := req.(*methods.CloneVM_TaskBody); ok && b.Req != nil {
		r.mu.Lock()
		r.reqs = append(r.reqs, *b.Req)
		r.mu.Unlock()
	}
	return r.next.RoundTrip(ctx, req, res)
}

func (r *recorder) clones() []types.CloneVM_Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]types.CloneVM_Task(nil), r.reqs...)
}

// recording returns a copy of c whose clone requests are recorded.
func recording(c *vim25.Client) (*vim25.Client, *recorder) {
	rec := &recorder{next: c.RoundTripper}
	cc := *c
	cc.RoundTripper = rec
	return &cc, rec
}

// assertNoCanary fails if err, or any error it wraps, mentions the canary.
func assertNoCanary(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), canary) {
			t.Fatalf("error chain contains a guestinfo value: %v", e)
		}
	}
}

// extraConfig returns the extraConfig of vm as a map.
func extraConfig(vm mo.VirtualMachine) map[string]string {
	m := map[string]string{}
	for _, o := range vm.Config.ExtraConfig {
		ov := o.GetOptionValue()
		m[ov.Key] = fmt.Sprint(ov.Value)
	}
	return m
}

// guestInfoFunc is a GuestInfoSource backed by a function.
type guestInfoFunc func(ctx context.Context, clusterID, vmName string) (map[string]string, error)

func (f guestInfoFunc) GuestInfo(ctx context.Context, clusterID, vmName string) (map[string]string, error) {
	return f(ctx, clusterID, vmName)
}

// canaryGuestInfo returns the guestinfo of request for any VM.
func canaryGuestInfo() GuestInfoSource {
	return guestInfoFunc(func(context.Context, string, string) (map[string]string, error) {
		return request("x").GuestInfo, nil
	})
}

// setIP makes the guest of the VM moref report ip, as VMware Tools would
// (vcsim's SET.guest.ipAddress extraConfig).
func (e *vmEnv) setIP(moref, ip string) {
	e.t.Helper()
	vm := object.NewVirtualMachine(e.c, vmRef(moref))
	e.waitTask(vm.Reconfigure(context.Background(), types.VirtualMachineConfigSpec{
		ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: "SET.guest.ipAddress", Value: ip}},
	}))
}
