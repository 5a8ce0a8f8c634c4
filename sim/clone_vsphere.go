package sim

import (
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// vcsim (govmomi v0.56) clones a VM by creating a VM with a fresh copy of
// each source disk and then applying the clone spec's config.deviceChange to
// it. Two things differ from vSphere, where a clone never shares a disk file
// with its source and destroying it never touches the source's disks:
//
//   - A disk Edit in the clone spec (how a client grows the clone's disk)
//     carries the source disk's backing, and vcsim makes that backing the
//     clone's: the clone then uses the template's .vmdk file, and destroying
//     the clone deletes it. vSphere applies the edit to the clone's own disk.
//   - vcsim ignores the disk move type: a linked clone (a child disk of the
//     source's snapshot) gets a full copy instead of a delta disk whose
//     parent is the source's disk.
//
// A third: vcsim's clone task checks that the destination folder has no VM of the
// clone's name without the folder's lock, and that check panics, killing the
// process (it runs in the task's goroutine), when another VM is being created in
// the folder at that moment: vcsim adds a VM to its folder before naming it (see
// installSearchIndex). vSphere refuses the duplicate name and creates VMs in a
// folder concurrently.
//
// installCloneDisks makes the clones of registry r behave as vSphere's. Every
// clone is run by cloneDisks: vcsim clones without the disk edits, with the
// destination folder locked (so no other VM is half-created there while vcsim
// checks the name), then the clone's own disks are grown, or turned into delta
// disks on the source's, before the task completes. vcsim tracks a snapshot's
// disks as the VM's current ones, so a linked clone's parent is the source's
// current disk. It must be called before r serves requests, like
// injectVSphereFaults (see there for the stand-in).
func installCloneDisks(r *simulator.Registry) {
	next := r.Handler
	r.Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if c := cloneDisksFor(ctx, m); c != nil {
			m.This = ctx.Session.Put(c).Reference()
			return nil, nil
		}
		if next != nil {
			return next(ctx, m)
		}
		return nil, nil
	}
}

// linkedClone is the disk move type of a linked clone.
const linkedClone = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)

// cloneDisksFor returns the stand-in that runs clone call m, or nil to let
// vcsim run it: calls other than an authenticated VirtualMachine clone, and
// clones vcsim refuses at once (of a VM without a configuration, or with the
// method disabled).
func cloneDisksFor(ctx *simulator.Context, m *simulator.Method) *cloneDisks {
	if _, ok := m.Body.(*types.CloneVM_Task); !ok || m.This.Type != "VirtualMachine" || ctx.Session == nil {
		return nil
	}
	vm, ok := ctx.Map.Get(m.This).(*simulator.VirtualMachine)
	if !ok {
		return nil
	}
	var runs bool
	ctx.WithLock(vm, func() {
		runs = vm.Config != nil && !slices.Contains(vm.DisabledMethod, m.Name)
	})
	if !runs {
		return nil
	}
	return &cloneDisks{vmRef: m.This}
}

func isLinked(spec types.VirtualMachineCloneSpec) bool {
	return spec.Snapshot != nil && spec.Location.DiskMoveType == linkedClone
}

// disksOf returns the virtual disks among devices, in order.
func disksOf(devices []types.BaseVirtualDevice) []*types.VirtualDisk {
	var disks []*types.VirtualDisk
	for _, d := range object.VirtualDeviceList(devices).SelectByType((*types.VirtualDisk)(nil)) {
		disks = append(disks, d.(*types.VirtualDisk))
	}
	return disks
}

// diskEdit is an Edit of the source's disk number index in a clone spec.
type diskEdit struct {
	index int
	disk  *types.VirtualDisk
}

// splitDiskEdits returns the Edits of config's device changes that name a
// disk of source (by key), and the other changes.
func splitDiskEdits(config *types.VirtualMachineConfigSpec, source []*types.VirtualDisk) ([]diskEdit, []types.BaseVirtualDeviceConfigSpec) {
	if config == nil {
		return nil, nil
	}
	var edits []diskEdit
	var rest []types.BaseVirtualDeviceConfigSpec
	for _, change := range config.DeviceChange {
		spec := change.GetVirtualDeviceConfigSpec()
		disk, ok := spec.Device.(*types.VirtualDisk)
		if ok && spec.Operation == types.VirtualDeviceConfigSpecOperationEdit {
			i := slices.IndexFunc(source, func(d *types.VirtualDisk) bool { return d.Key == disk.Key })
			if i >= 0 {
				edits = append(edits, diskEdit{index: i, disk: disk})
				continue
			}
		}
		rest = append(rest, change)
	}
	return edits, rest
}

// cloneDisks stands in for a VirtualMachine for one CloneVM_Task call (see
// installCloneDisks). Like failingCall it serves a single call and opts out
// of vcsim's per-object locking.
type cloneDisks struct {
	// Self is the stand-in's own reference, in the caller's session.
	Self  types.ManagedObjectReference
	vmRef types.ManagedObjectReference
}

// Reference implements mo.Reference.
func (c *cloneDisks) Reference() types.ManagedObjectReference { return c.Self }

// Lock implements sync.Locker and does nothing.
func (*cloneDisks) Lock() {}

// Unlock implements sync.Locker and does nothing.
func (*cloneDisks) Unlock() {}

// CloneVMTask runs VirtualMachine.CloneVM_Task as a task of the source VM
// that completes once the clone has disks of its own.
func (c *cloneDisks) CloneVMTask(ctx *simulator.Context, req *types.CloneVM_Task) soap.HasFault {
	ctx.Session.Remove(ctx, c.Self)
	vm, ok := ctx.Map.Get(c.vmRef).(*simulator.VirtualMachine)
	if !ok {
		return &methods.CloneVM_TaskBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: c.vmRef})}
	}
	// The task holds the source VM's lock while it runs, as vcsim's own do.
	task := simulator.CreateTask(vm, "cloneVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return cloneWithOwnDisks(ctx, vm, req)
	})
	return &methods.CloneVM_TaskBody{Res: &types.CloneVM_TaskResponse{Returnval: task.Run(ctx)}}
}

// cloneWithOwnDisks clones vm as req asks and returns the clone. vcsim runs
// the clone without req's disk edits, powered off and not a template; the
// clone's disks are then made its own, and it is made a template or powered
// on as req asks. A clone whose disks cannot be made is destroyed, as a
// failed clone leaves no VM. The caller holds vm's lock.
func cloneWithOwnDisks(ctx *simulator.Context, vm *simulator.VirtualMachine, req *types.CloneVM_Task) (types.AnyType, types.BaseMethodFault) {
	source := disksOf(vm.Config.Hardware.Device)
	edits, rest := splitDiskEdits(req.Spec.Config, source)
	inner := *req
	inner.Spec.PowerOn, inner.Spec.Template = false, false
	if req.Spec.Config != nil {
		config := *req.Spec.Config
		config.DeviceChange = rest
		inner.Spec.Config = &config
	}
	folder := ctx.Map.Get(req.Folder)
	if folder == nil {
		return nil, &types.ManagedObjectNotFound{Obj: req.Folder}
	}
	var result types.AnyType
	var fault types.BaseMethodFault
	// vcsim's clone task runs in this context, so it shares the folder's lock.
	withLock(ctx, folder, func() { result, fault = awaitTask(ctx, vm.CloneVMTask(ctx, &inner)) })
	if fault != nil {
		return nil, fault
	}
	ref := result.(types.ManagedObjectReference)
	clone := ctx.Map.Get(ref).(*simulator.VirtualMachine)

	if linked := isLinked(req.Spec); len(edits) > 0 || linked {
		fault = ownDisks(ctx, clone, source, edits, linked)
	}
	if fault == nil && req.Spec.Template {
		ctx.WithLock(clone, func() { fault = soapFault(clone.MarkAsTemplate(&types.MarkAsTemplate{This: ref})) })
	}
	if fault != nil {
		var destroy soap.HasFault
		ctx.WithLock(clone, func() { destroy = clone.DestroyTask(ctx, &types.Destroy_Task{This: ref}) })
		_, _ = awaitTask(ctx, destroy)
		return nil, fault
	}
	if req.Spec.PowerOn && !req.Spec.Template {
		var on soap.HasFault
		ctx.WithLock(clone, func() { on = clone.PowerOnVMTask(ctx, &types.PowerOnVM_Task{This: ref}) })
		if _, fault := awaitTask(ctx, on); fault != nil {
			return nil, fault
		}
	}
	return ref, nil
}

// ownDisks reconfigures the disks of clone, vcsim's copies of source's: a
// linked clone's become delta disks whose parents are source's, and edits
// apply to the clone's own disks (a delta disk cannot grow).
func ownDisks(ctx *simulator.Context, clone *simulator.VirtualMachine, source []*types.VirtualDisk, edits []diskEdit, linked bool) types.BaseMethodFault {
	var changes []types.BaseVirtualDeviceConfigSpec
	var fault types.BaseMethodFault
	ctx.WithLock(clone, func() {
		own := disksOf(clone.Config.Hardware.Device)
		if len(own) != len(source) {
			fault = &types.InvalidDeviceSpec{InvalidVmConfig: types.InvalidVmConfig{Property: "config.hardware.device"}}
			return
		}
		if linked {
			for i, disk := range own {
				if delta := deltaDisk(disk, source[i]); delta != nil {
					changes = append(changes, &types.VirtualDeviceConfigSpec{
						Operation:     types.VirtualDeviceConfigSpecOperationEdit,
						FileOperation: types.VirtualDeviceConfigSpecFileOperationReplace,
						Device:        delta,
					})
				}
			}
		}
		for _, e := range edits {
			if linked {
				if diskKiB(e.disk) != diskKiB(source[e.index]) {
					fault = &types.InvalidDeviceOperation{
						InvalidDeviceSpec: types.InvalidDeviceSpec{InvalidVmConfig: types.InvalidVmConfig{Property: "capacityInKB"}},
						BadOp:             types.VirtualDeviceConfigSpecOperationEdit,
					}
					return
				}
				continue
			}
			target := own[e.index]
			edited := *e.disk
			edited.Key, edited.ControllerKey, edited.UnitNumber, edited.Backing = target.Key, target.ControllerKey, target.UnitNumber, target.Backing
			changes = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &edited})
		}
	})
	if fault != nil || len(changes) == 0 {
		return fault
	}
	var res soap.HasFault
	ctx.WithLock(clone, func() {
		res = clone.ReconfigVMTask(ctx, &types.ReconfigVM_Task{This: clone.Self, Spec: types.VirtualMachineConfigSpec{DeviceChange: changes}})
	})
	_, fault = awaitTask(ctx, res)
	return fault
}

// deltaDisk returns disk, the clone's copy of source, as a thin delta disk
// in the same file whose parent is source's file; nil when either is not a
// flat disk.
func deltaDisk(disk, source *types.VirtualDisk) *types.VirtualDisk {
	own, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	parent, okParent := source.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !ok || !okParent {
		return nil
	}
	backing := *own
	backing.Parent = parent
	backing.ThinProvisioned = types.NewBool(true)
	backing.Uuid = ""
	delta := *disk
	delta.Backing = &backing
	return &delta
}

func diskKiB(d *types.VirtualDisk) int64 {
	if d.CapacityInBytes > 0 {
		return d.CapacityInBytes / 1024
	}
	return d.CapacityInKB
}

// awaitTask waits for the task that res started and returns its result, or
// the fault of res or of the task.
func awaitTask(ctx *simulator.Context, res soap.HasFault) (types.AnyType, types.BaseMethodFault) {
	if fault := soapFault(res); fault != nil {
		return nil, fault
	}
	ref, ok := taskOf(res)
	if !ok {
		return nil, &types.RuntimeFault{}
	}
	task, ok := ctx.Map.Get(ref).(*simulator.Task)
	if !ok {
		return nil, &types.ManagedObjectNotFound{Obj: ref}
	}
	// Wait returns after the task's last update, so its info is read as vcsim reads it.
	task.Wait()
	if task.Info.Error != nil {
		return nil, task.Info.Error.Fault
	}
	return task.Info.Result, nil
}

// taskOf returns the task that a vcsim method body started.
func taskOf(res soap.HasFault) (types.ManagedObjectReference, bool) {
	switch b := res.(type) {
	case *methods.CloneVM_TaskBody:
		return b.Res.Returnval, true
	case *methods.ReconfigVM_TaskBody:
		return b.Res.Returnval, true
	case *methods.Destroy_TaskBody:
		return b.Res.Returnval, true
	case *methods.PowerOnVM_TaskBody:
		return b.Res.Returnval, true
	}
	return types.ManagedObjectReference{}, false
}

// soapFault returns the vSphere fault of a method's reply, or nil.
func soapFault(res soap.HasFault) types.BaseMethodFault {
	f := res.Fault()
	if f == nil {
		return nil
	}
	if fault, ok := f.VimFault().(types.BaseMethodFault); ok {
		return fault
	}
	return &types.RuntimeFault{}
}
