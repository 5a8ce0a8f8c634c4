package vsphere

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

// The baseline of the provisioning benchmark: what a hand-written govmomi
// program does to make the same VMs. It logs in once, finds the placement
// once, and clones each VM with the content of the service's clone spec
// (relocation to the pool, datastore and folder; CPUs, memory, the first
// disk grown, a ParaVirtual SCSI controller unless the template has one,
// extraConfig with guestinfo, disk.EnableUUID and the marker), then powers
// it on; at most taskLimit tasks run at once (a semaphore).

// plainSite is the placement and template device list, looked up once.
type plainSite struct {
	template *object.VirtualMachine
	folder   *object.Folder
	pool     *object.ResourcePool
	ds       *object.Datastore
	devices  []types.BaseVirtualDeviceConfigSpec
}

// provisionPlain makes and powers on the VMs of clusters in vc with plain
// govmomi and returns the wall time, login and lookups included.
func provisionPlain(ctx context.Context, vc *sim.VCenter, clusters []benchCluster, gi *renderedGuestInfo, taskLimit int) (time.Duration, error) {
	start := time.Now()
	u := vc.URL()
	u.User = url.UserPassword(vc.Username, vc.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return 0, fmt.Errorf("log in: %w", err)
	}
	defer func() { _ = c.Logout(context.WithoutCancel(ctx)) }()
	site, err := findPlainSite(ctx, c)
	if err != nil {
		return 0, err
	}

	sem := make(chan struct{}, taskLimit)
	task := func(what string, start func() (*object.Task, error)) (*types.TaskInfo, error) {
		sem <- struct{}{}
		defer func() { <-sem }()
		t, err := start()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		info, err := t.WaitForResult(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return info, nil
	}
	err = forEachNode(ctx, clusters, func(ctx context.Context, cl benchCluster, name string) error {
		guest, err := gi.GuestInfo(ctx, cl.id, name)
		if err != nil {
			return err
		}
		spec := site.cloneSpec(cl.id, guest)
		info, err := task("clone "+name, func() (*object.Task, error) {
			return site.template.Clone(ctx, site.folder, name, spec)
		})
		if err != nil {
			return err
		}
		vm := object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference))
		_, err = task("power on "+name, func() (*object.Task, error) { return vm.PowerOn(ctx) })
		return err
	})
	return time.Since(start), err
}

// findPlainSite finds the default placement with the finder and builds the
// device changes from the template's devices.
func findPlainSite(ctx context.Context, c *govmomi.Client) (*plainSite, error) {
	finder := find.NewFinder(c.Client)
	dc, err := finder.Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		return nil, err
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, err
	}
	cluster, err := finder.ClusterComputeResource(ctx, sim.DefaultCluster)
	if err != nil {
		return nil, err
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := finder.Datastore(ctx, sim.DefaultDatastore)
	if err != nil {
		return nil, err
	}
	template, err := finder.VirtualMachine(ctx, sim.DefaultTemplate)
	if err != nil {
		return nil, err
	}
	devices, err := template.Device(ctx)
	if err != nil {
		return nil, err
	}
	disk := *devices.SelectByType((*types.VirtualDisk)(nil))[0].(*types.VirtualDisk)
	disk.CapacityInBytes = int64(nodeShape.DiskGiB) * gib
	disk.CapacityInKB = disk.CapacityInBytes / 1024
	changes := []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &disk},
	}
	if len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))) == 0 {
		pvscsi, err := devices.CreateSCSIController("pvscsi")
		if err != nil {
			return nil, err
		}
		changes = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: pvscsi})
	}
	return &plainSite{template: template, folder: folders.VmFolder, pool: pool, ds: ds, devices: changes}, nil
}

// cloneSpec is the clone specification of one VM of cluster clusterID.
func (s *plainSite) cloneSpec(clusterID string, guest map[string]string) types.VirtualMachineCloneSpec {
	extra := []types.BaseOptionValue{
		&types.OptionValue{Key: diskUUIDKey, Value: "TRUE"},
		&types.OptionValue{Key: MarkerKey, Value: clusterID},
	}
	for k, v := range guest {
		extra = append(extra, &types.OptionValue{Key: k, Value: v})
	}
	pool, ds, folder := s.pool.Reference(), s.ds.Reference(), s.folder.Reference()
	return types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &pool, Datastore: &ds, Folder: &folder},
		Config: &types.VirtualMachineConfigSpec{
			NumCPUs: int32(nodeShape.CPUs), MemoryMB: int64(nodeShape.MemoryMiB),
			ExtraConfig: extra, DeviceChange: s.devices,
		},
	}
}

// verifyProvisioned checks that vc holds each VM of clusters exactly once,
// powered on, with the requested CPUs, memory, disk, a ParaVirtual SCSI
// controller and its marker and guestinfo in extraConfig, so that both paths
// of the benchmark are shown to have done the same work.
func verifyProvisioned(tb testing.TB, path string, vc *sim.VCenter, clusters []benchCluster, gi *renderedGuestInfo) {
	tb.Helper()
	ctx := context.Background()
	u := vc.URL()
	u.User = url.UserPassword(vc.Username, vc.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		tb.Fatalf("verify: log in: %v", err)
	}
	defer func() { _ = c.Logout(ctx) }()
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.powerState", "config.hardware", "config.extraConfig"}, &vms); err != nil {
		tb.Fatal(err)
	}
	byName := map[string][]mo.VirtualMachine{}
	for _, vm := range vms {
		byName[vm.Name] = append(byName[vm.Name], vm)
	}
	for _, cl := range clusters {
		for _, name := range cl.vms() {
			want, err := gi.GuestInfo(ctx, cl.id, name)
			if err != nil {
				tb.Fatal(err)
			}
			found := byName[name]
			if len(found) != 1 {
				tb.Fatalf("%s: %d VMs named %s, want 1", path, len(found), name)
			}
			if err := checkProvisioned(found[0], cl.id, want); err != nil {
				tb.Fatalf("%s: VM %s: %v", path, name, err)
			}
		}
	}
}

// checkProvisioned compares one VM with what the benchmark asked for.
func checkProvisioned(vm mo.VirtualMachine, clusterID string, guest map[string]string) error {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return fmt.Errorf("is %s", vm.Runtime.PowerState)
	}
	hw := vm.Config.Hardware
	if int(hw.NumCPU) != nodeShape.CPUs || int(hw.MemoryMB) != nodeShape.MemoryMiB {
		return fmt.Errorf("has %d CPUs and %d MiB", hw.NumCPU, hw.MemoryMB)
	}
	devices := object.VirtualDeviceList(hw.Device)
	if n := len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))); n != 1 {
		return fmt.Errorf("has %d ParaVirtual SCSI controllers, want 1", n)
	}
	if got := diskBytes(devices.SelectByType((*types.VirtualDisk)(nil))[0].(*types.VirtualDisk)); got != int64(nodeShape.DiskGiB)*gib {
		return fmt.Errorf("first disk has %d bytes", got)
	}
	want := map[string]string{diskUUIDKey: "TRUE", MarkerKey: clusterID}
	for k, v := range guest {
		want[k] = v
	}
	for k, v := range want {
		if got, ok := extraConfigValue(vm.Config.ExtraConfig, k); !ok || got != v {
			return fmt.Errorf("extraConfig %s is not as requested", k)
		}
	}
	return nil
}
