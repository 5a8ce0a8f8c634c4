package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

func TestEnsureVMCreatesVM(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{Pools: 1})
	ctx := context.Background()

	// A custom folder, a child pool and a distributed port group.
	vmFolder, err := env.finder().Folder(ctx, "/DC0/vm")
	if err != nil {
		t.Fatal(err)
	}
	parent, err := vmFolder.CreateFolder(ctx, "clusters")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parent.CreateFolder(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	req := request("dev-cp-0")
	req.Placement.Folder = "clusters/dev"
	req.Placement.ResourcePool = "DC0_C0_RP1"
	req.Placement.Network = "DC0_DVPG0"

	info, created := env.ensure(req)
	if !created {
		t.Error("created = false for a new VM")
	}
	if info.Name != req.Name || info.Moref == "" || info.UUID == "" || info.PowerState != string(types.VirtualMachinePowerStatePoweredOff) {
		t.Errorf("info %+v", info)
	}

	vm := env.vm(info.Moref)
	hw := vm.Config.Hardware
	if hw.NumCPU != 4 || hw.MemoryMB != 8192 {
		t.Errorf("hardware %d CPUs %d MiB, want 4 and 8192", hw.NumCPU, hw.MemoryMB)
	}
	if info.UUID != vm.Config.Uuid {
		t.Errorf("UUID %q, VM has %q", info.UUID, vm.Config.Uuid)
	}
	if v := hardwareVersion(vm.Config.Version); v < MinHardwareVersion || info.HardwareVersion != v {
		t.Errorf("hardware version %s (info %d)", vm.Config.Version, info.HardwareVersion)
	}
	devices := object.VirtualDeviceList(hw.Device)
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 || diskBytes(disks[0].(*types.VirtualDisk)) != 60*gib {
		t.Errorf("disks %d, first %d bytes; want one of 60 GiB", len(disks), diskBytes(disks[0].(*types.VirtualDisk)))
	}
	if len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))) == 0 {
		t.Error("no ParaVirtual SCSI controller")
	}

	ec := extraConfig(vm)
	for k, v := range req.GuestInfo {
		if ec[k] != v {
			t.Errorf("extraConfig %s not set as requested", k)
		}
	}
	if ec["disk.EnableUUID"] != "TRUE" || ec[MarkerKey] != "c1" {
		t.Errorf("disk.EnableUUID=%q %s=%q", ec["disk.EnableUUID"], MarkerKey, ec[MarkerKey])
	}
	field, err := findMarkerField(ctx, env.c, false, env.logger)
	if err != nil || !field.ok {
		t.Fatalf("marker custom field not defined: %v", err)
	}
	if got := customValue(vm.CustomValue, field); got != "c1" {
		t.Errorf("custom attribute %s = %q, want c1", MarkerKey, got)
	}

	// Placement: folder, pool, datastore and network.
	pl, err := ResolvePlacement(ctx, env.c, req.Placement)
	if err != nil {
		t.Fatal(err)
	}
	if *vm.Parent != pl.Folder.Reference() {
		t.Errorf("folder %v, want %v (%s)", vm.Parent, pl.Folder.Reference(), pl.Folder.InventoryPath)
	}
	if *vm.ResourcePool != pl.ResourcePool.Reference() {
		t.Errorf("pool %v, want %v", vm.ResourcePool, pl.ResourcePool.Reference())
	}
	if !slices.Contains(vm.Datastore, pl.Datastore.Reference()) {
		t.Errorf("datastores %v, want %v", vm.Datastore, pl.Datastore.Reference())
	}
	nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
	dvp, ok := nics[0].GetVirtualDevice().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
	if !ok || dvp.Port.PortgroupKey != pl.Network.Reference().Value {
		t.Errorf("NIC backing %#v, want port group %s", nics[0].GetVirtualDevice().Backing, pl.Network.Reference().Value)
	}
}

func TestEnsureVMIsIdempotent(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	req := request("dev-cp-0")
	first, _ := env.ensure(req)
	clones := env.faults.Calls(sim.KindVSphereClone)

	second, created := env.ensure(req)
	if created || second.Moref != first.Moref {
		t.Fatalf("second call: created %v, moref %s; want the VM %s again", created, second.Moref, first.Moref)
	}
	if n := env.countNamed(req.Name); n != 1 {
		t.Fatalf("%d VMs named %s, want 1", n, req.Name)
	}
	if got := env.faults.Calls(sim.KindVSphereClone); got != clones {
		t.Errorf("%d clones after the second call, want %d", got, clones)
	}
	reconfigs := env.faults.Calls(sim.KindVSphereReconfigure)

	// A third call with a changed shape brings the VM up to it, in place.
	req.CPUs, req.MemoryMiB, req.DiskGiB = 8, 16384, 80
	req.GuestInfo["guestinfo.userdata"] = "user2-" + canary
	third, created := env.ensure(req)
	if created || third.Moref != first.Moref {
		t.Fatalf("third call: created %v, moref %s", created, third.Moref)
	}
	vm := env.vm(first.Moref)
	if vm.Config.Hardware.NumCPU != 8 || vm.Config.Hardware.MemoryMB != 16384 {
		t.Errorf("hardware %d CPUs %d MiB, want 8 and 16384", vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB)
	}
	disk := object.VirtualDeviceList(vm.Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil))[0].(*types.VirtualDisk)
	if diskBytes(disk) != 80*gib {
		t.Errorf("disk %d GiB, want 80", diskBytes(disk)/gib)
	}
	if extraConfig(vm)["guestinfo.userdata"] != "user2-"+canary {
		t.Error("guestinfo.userdata not updated")
	}
	if got := env.faults.Calls(sim.KindVSphereReconfigure); got != reconfigs+1 {
		t.Errorf("%d reconfigures for one change, want 1", got-reconfigs)
	}

	// Disks are never shrunk.
	req.DiskGiB = 40
	env.ensure(req)
	vm = env.vm(first.Moref)
	disk = object.VirtualDeviceList(vm.Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil))[0].(*types.VirtualDisk)
	if diskBytes(disk) != 80*gib {
		t.Errorf("disk %d GiB after asking for 40, want 80 (never shrunk)", diskBytes(disk)/gib)
	}
}

func TestEnsureVMUpgradesOldTemplate(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	env.createTemplate("old-image", "vmx-13")
	req := request("dev-w-0")
	req.Placement.Template = "old-image"

	info, _ := env.ensure(req)
	if info.HardwareVersion != MinHardwareVersion {
		t.Errorf("hardware version %d, want %d", info.HardwareVersion, MinHardwareVersion)
	}
	vm := env.vm(info.Moref)
	if vm.Config.Version != "vmx-15" {
		t.Errorf("config.version %s, want vmx-15", vm.Config.Version)
	}
	devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
	if len(devices.SelectByType((*types.ParaVirtualSCSIController)(nil))) != 1 {
		t.Error("no ParaVirtual SCSI controller added")
	}
	if len(devices.SelectByType((*types.VirtualLsiLogicController)(nil))) != 1 {
		t.Error("the template's LSI Logic controller (with the boot disk) is gone")
	}
	if n := env.faults.Calls(sim.KindVSphereClone); n != 1 {
		t.Errorf("%d clones, want 1", n)
	}
	// Done: nothing left to change.
	reconfigs := env.faults.Calls(sim.KindVSphereReconfigure)
	env.ensure(req)
	if got := env.faults.Calls(sim.KindVSphereReconfigure); got != reconfigs {
		t.Errorf("a converged VM was reconfigured again")
	}
}

func TestEnsureVMRefusesForeignVM(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	foreign := env.plainClone("dev-cp-0", nil, nil)
	other := env.plainClone("dev-cp-1", nil, map[string]string{MarkerKey: "someone-else"})

	for _, vm := range []*object.VirtualMachine{foreign, other} {
		name, err := vm.ObjectName(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := env.vm(vm.Reference().Value)
		_, _, err = env.ops.EnsureVM(ctx, env.c, request(name))
		if !errors.Is(err, ErrVMNameTaken) {
			t.Fatalf("EnsureVM over %s: %v, want ErrVMNameTaken", name, err)
		}
		t.Logf("error: %v", err)
		assertNoCanary(t, err)
		after := env.vm(vm.Reference().Value)
		if after.Config.Hardware.NumCPU != before.Config.Hardware.NumCPU || len(after.Config.ExtraConfig) != len(before.Config.ExtraConfig) {
			t.Errorf("the foreign VM %s was changed", name)
		}
		if n := env.countNamed(name); n != 1 {
			t.Errorf("%d VMs named %s", n, name)
		}
	}
}

func TestEnsureVMLinkedClone(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	snapshot := env.snapshotTemplate(sim.DefaultTemplate)
	c, rec := recording(env.c)

	// The template's 20 GiB disk is big enough: linked clone.
	req := request("dev-w-0")
	req.DiskGiB = sim.TemplateDiskGiB
	info, _, err := env.ops.EnsureVM(context.Background(), c, req)
	if err != nil {
		t.Fatal(err)
	}
	clones := rec.clones()
	if len(clones) != 1 {
		t.Fatalf("%d clone requests", len(clones))
	}
	spec := clones[0].Spec
	if spec.Snapshot == nil || *spec.Snapshot != snapshot ||
		spec.Location.DiskMoveType != string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking) {
		t.Errorf("clone spec snapshot %v disk move %q; want a linked clone of %v", spec.Snapshot, spec.Location.DiskMoveType, snapshot)
	}
	// The clone's disk is a delta of its own on the template's (package sim
	// makes vcsim's linked clones so).
	disk := object.VirtualDeviceList(env.vm(info.Moref).Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil))[0].(*types.VirtualDisk)
	tmplDisk := fmt.Sprintf("[%s] %s/%s.vmdk", sim.DefaultDatastore, sim.DefaultTemplate, sim.DefaultTemplate)
	if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); !ok || b.Parent == nil || b.Parent.FileName != tmplDisk || b.FileName == tmplDisk {
		t.Errorf("linked clone's disk backing %#v: want a file of its own whose parent is %s", disk.Backing, tmplDisk)
	}

	// A bigger disk cannot be a linked clone's: full clone.
	req = request("dev-w-1")
	if _, _, err := env.ops.EnsureVM(context.Background(), c, req); err != nil {
		t.Fatal(err)
	}
	spec = rec.clones()[1].Spec
	if spec.Snapshot != nil || spec.Location.DiskMoveType != "" {
		t.Errorf("clone spec for a 60 GiB disk: snapshot %v disk move %q; want a full clone", spec.Snapshot, spec.Location.DiskMoveType)
	}
	if !growsDisk(*spec.Config) {
		t.Error("full clone does not grow the disk")
	}
}

func TestEnsureVMInvalidRequest(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	bad := []func(*VMRequest){
		func(r *VMRequest) { r.Name = "Not_A_Label" },
		func(r *VMRequest) { r.ClusterID = "" },
		func(r *VMRequest) { r.CPUs = 0 },
		func(r *VMRequest) { r.GuestInfo["userdata"] = canary },
	}
	for i, mutate := range bad {
		req := request("dev-cp-0")
		mutate(&req)
		_, _, err := env.ops.EnsureVM(context.Background(), env.c, req)
		if !errors.Is(err, ErrInvalidVMRequest) {
			t.Errorf("case %d: %v, want ErrInvalidVMRequest", i, err)
		}
		assertNoCanary(t, err)
	}
	if n := env.faults.Calls(sim.KindVSphereClone); n != 0 {
		t.Errorf("%d clones for invalid requests", n)
	}
}
