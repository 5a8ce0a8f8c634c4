package sim

import (
	"context"
	"errors"
	"path"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// cloneEnv clones DefaultTemplate as Clusterwright does, after giving it a
// snapshot for linked clones as an image pipeline prepares it.
type cloneEnv struct {
	*vmSite
	t        *testing.T
	snapshot types.ManagedObjectReference
	ds       *object.Datastore
}

func newCloneEnv(t *testing.T) *cloneEnv {
	t.Helper()
	ctx := context.Background()
	e := &cloneEnv{vmSite: newVMSite(t, start(t, VCenterOptions{VMs: -1})), t: t}
	var err error
	if e.ds, err = e.finder.Datastore(ctx, DefaultDatastore); err != nil {
		t.Fatal(err)
	}
	hosts, err := e.finder.HostSystemList(ctx, DefaultCluster+"/*")
	if err != nil || len(hosts) == 0 {
		t.Fatalf("hosts of %s: %v", DefaultCluster, err)
	}
	pool := object.NewResourcePool(e.template.Client(), *e.vmSite.spec.Location.Pool)
	if err := e.template.MarkAsVirtualMachine(ctx, *pool, hosts[0]); err != nil {
		t.Fatal(err)
	}
	e.wait(e.template.CreateSnapshot(ctx, "base", "", false, false))
	if err := e.template.MarkAsTemplate(ctx); err != nil {
		t.Fatal(err)
	}
	var tmpl mo.VirtualMachine
	if err := e.template.Properties(ctx, e.template.Reference(), []string{"snapshot"}, &tmpl); err != nil || tmpl.Snapshot == nil || tmpl.Snapshot.CurrentSnapshot == nil {
		t.Fatalf("template has no current snapshot: %v", err)
	}
	e.snapshot = *tmpl.Snapshot.CurrentSnapshot
	return e
}

func (e *cloneEnv) wait(tk *object.Task, err error) types.AnyType {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := tk.WaitForResult(context.Background(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.Result
}

// disk returns the first virtual disk of vm.
func (e *cloneEnv) disk(vm *object.VirtualMachine) *types.VirtualDisk {
	e.t.Helper()
	devices, err := vm.Device(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 {
		e.t.Fatalf("%s has no virtual disk", vm.Name())
	}
	return disks[0].(*types.VirtualDisk)
}

// spec returns the clone specification that activities/vsphere sends: a
// linked clone of the template's snapshot, or a full clone that grows the
// disk to growKiB (0: keep the template's size).
func (e *cloneEnv) spec(linked bool, growKiB int64) types.VirtualMachineCloneSpec {
	spec := e.vmSite.spec
	spec.Config = &types.VirtualMachineConfigSpec{NumCPUs: 4}
	if linked {
		spec.Snapshot = &e.snapshot
		spec.Location.DiskMoveType = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)
	}
	if growKiB > 0 {
		grown := *e.disk(e.template)
		grown.CapacityInKB, grown.CapacityInBytes = growKiB, growKiB*1024
		spec.Config.DeviceChange = []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &grown},
		}
	}
	return spec
}

func (e *cloneEnv) cloneWith(name string, spec types.VirtualMachineCloneSpec) *object.VirtualMachine {
	e.t.Helper()
	ref := e.wait(e.template.Clone(context.Background(), e.folder, name, spec)).(types.ManagedObjectReference)
	return object.NewVirtualMachine(e.template.Client(), ref)
}

func (e *cloneEnv) destroy(vm *object.VirtualMachine) {
	e.t.Helper()
	e.wait(vm.Destroy(context.Background()))
}

// fileExists reports whether the datastore has the file of datastore path p.
func (e *cloneEnv) fileExists(p string) bool {
	e.t.Helper()
	var dp object.DatastorePath
	if !dp.FromString(p) || dp.Datastore != e.ds.Name() {
		e.t.Fatalf("%q is not a path on %s", p, e.ds.Name())
	}
	_, err := e.ds.Stat(context.Background(), dp.Path)
	switch {
	case err == nil:
		return true
	case errors.As(err, new(object.DatastoreNoSuchFileError)), errors.As(err, new(object.DatastoreNoSuchDirectoryError)):
		return false
	}
	e.t.Fatalf("stat %s: %v", p, err)
	return false
}

func flatBacking(t *testing.T, d *types.VirtualDisk) *types.VirtualDiskFlatVer2BackingInfo {
	t.Helper()
	b, ok := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !ok {
		t.Fatalf("disk backing %T, want a flat disk", d.Backing)
	}
	return b
}

// Destroying a clone, linked or full, never deletes the template's disk, and
// the template clones and grows as before: create, delete, create again.
func TestClonesHaveTheirOwnDisks(t *testing.T) {
	e := newCloneEnv(t)
	tmplDisk := flatBacking(t, e.disk(e.template)).FileName
	const templateKiB = TemplateDiskGiB << 20
	if !e.fileExists(tmplDisk) {
		t.Fatalf("the template's disk %s is not on the datastore", tmplDisk)
	}

	// A linked clone gets a delta disk of its own whose parent is the template's.
	linked := e.cloneWith("linked-0", e.spec(true, 0))
	disk := e.disk(linked)
	b := flatBacking(t, disk)
	if b.FileName == tmplDisk || path.Dir(b.FileName) == path.Dir(tmplDisk) || !e.fileExists(b.FileName) {
		t.Errorf("linked clone's disk %s: want a file of its own next to the clone", b.FileName)
	}
	if b.Parent == nil || b.Parent.FileName != tmplDisk {
		t.Errorf("linked clone's disk parent %+v, want the template's disk %s", b.Parent, tmplDisk)
	}
	if disk.CapacityInKB != templateKiB {
		t.Errorf("linked clone's disk has %d KiB, want the template's %d", disk.CapacityInKB, templateKiB)
	}
	e.destroy(linked)
	if !e.fileExists(tmplDisk) {
		t.Fatalf("destroying the linked clone deleted the template's disk %s", tmplDisk)
	}
	if e.fileExists(b.FileName) {
		t.Errorf("destroying the linked clone left its delta disk %s", b.FileName)
	}

	// A full clone that grows its disk (twice, with a destroy in between) grows
	// its own copy and leaves the template's alone.
	const grownKiB = 60 << 20
	for _, name := range []string{"full-0", "full-1"} {
		full := e.cloneWith(name, e.spec(false, grownKiB))
		disk := e.disk(full)
		b := flatBacking(t, disk)
		if b.FileName == tmplDisk || b.Parent != nil || !e.fileExists(b.FileName) {
			t.Errorf("%s's disk %s (parent %+v): want a full copy of its own", name, b.FileName, b.Parent)
		}
		if disk.CapacityInKB != grownKiB {
			t.Errorf("%s's disk has %d KiB, want %d", name, disk.CapacityInKB, grownKiB)
		}
		if got := e.disk(e.template).CapacityInKB; got != templateKiB {
			t.Errorf("the template's disk has %d KiB after cloning %s, want %d", got, name, templateKiB)
		}
		e.destroy(full)
		if !e.fileExists(tmplDisk) {
			t.Fatalf("destroying %s deleted the template's disk %s", name, tmplDisk)
		}
	}

	// A linked clone's delta disk cannot grow: the clone fails and leaves nothing.
	tk, err := e.template.Clone(context.Background(), e.folder, "linked-grown", e.spec(true, grownKiB))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tk.WaitForResult(context.Background(), nil)
	if fault, _ := taskFault(t, err); !isFault[*types.InvalidDeviceOperation](fault) {
		t.Errorf("linked clone growing its disk: %v, want InvalidDeviceOperation", err)
	}
	if e.vmSite.exists(t, "linked-grown") {
		t.Error("the failed linked clone is left")
	}
}
