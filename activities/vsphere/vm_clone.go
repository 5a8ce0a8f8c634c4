package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// clone creates the VM of req from the placement's template and returns it.
func (o *VMOps) clone(ctx context.Context, c *vim25.Client, pl *Placement, req VMRequest, backing types.BaseVirtualDeviceBackingInfo) (*object.VirtualMachine, error) {
	spec, linked, err := cloneSpec(pl, req, backing)
	if err != nil {
		return nil, err
	}
	info, err := o.runTask(ctx, c, fmt.Sprintf("clone %s to %s", pl.template.Name, req.Name), true, func(ctx context.Context) (*object.Task, error) {
		return pl.Template.Clone(ctx, pl.Folder, req.Name, spec)
	})
	if err != nil {
		return nil, err
	}
	ref, ok := info.Result.(types.ManagedObjectReference)
	if !ok {
		return nil, fmt.Errorf("clone %s: task returned %T, not a VM reference", req.Name, info.Result)
	}
	o.logger().InfoContext(ctx, "cloned VM", "vm", req.Name, "moref", ref.Value, "template", pl.template.Name, "linked", linked)
	return object.NewVirtualMachine(c, ref), nil
}

// cloneSpec returns the clone specification of req: into the placement's
// pool, datastore and folder, with the configuration of configDelta applied
// to the template's, powered off. It is a linked clone (a child disk of the
// template's current snapshot, fast and thin) when the template has a
// current snapshot and the first disk need not grow: a linked clone's disk
// cannot grow. Otherwise it is a full clone.
func cloneSpec(pl *Placement, req VMRequest, backing types.BaseVirtualDeviceBackingInfo) (types.VirtualMachineCloneSpec, bool, error) {
	config, _, err := configDelta(pl.template, req, backing, true)
	if err != nil {
		return types.VirtualMachineCloneSpec{}, false, fmt.Errorf("template %s: %w", pl.template.Name, err)
	}
	pool, ds, folder := pl.ResourcePool.Reference(), pl.Datastore.Reference(), pl.Folder.Reference()
	spec := types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &pool, Datastore: &ds, Folder: &folder},
		Config:   &config,
	}
	snapshot := currentSnapshot(pl.template)
	linked := snapshot != nil && !growsDisk(config)
	if linked {
		spec.Snapshot = snapshot
		spec.Location.DiskMoveType = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)
	}
	return spec, linked, nil
}

// currentSnapshot returns the template's current snapshot, or nil.
func currentSnapshot(vm mo.VirtualMachine) *types.ManagedObjectReference {
	if vm.Snapshot == nil {
		return nil
	}
	return vm.Snapshot.CurrentSnapshot
}

// growsDisk reports whether spec edits a virtual disk (configDelta only
// edits a disk to grow it).
func growsDisk(spec types.VirtualMachineConfigSpec) bool {
	for _, dc := range spec.DeviceChange {
		s := dc.GetVirtualDeviceConfigSpec()
		if _, ok := s.Device.(*types.VirtualDisk); ok && s.Operation == types.VirtualDeviceConfigSpecOperationEdit {
			return true
		}
	}
	return false
}
