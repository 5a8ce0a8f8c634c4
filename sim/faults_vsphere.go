package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// vmFacts is what a failing call needs to know about its VirtualMachine.
type vmFacts struct {
	name     string
	template bool
	// disk is the file of the VM's first virtual disk, or its .vmx file if it has none.
	disk string
}

// vsphereCall describes a vSphere method that Faults can make fail.
type vsphereCall struct {
	kind string
	// task is the name vcsim gives the task the method starts, so that a failed
	// task looks like the ones vcsim runs.
	task string
	// fault returns the error the task ends with; task is the failed task.
	fault func(vm vmFacts, task types.ManagedObjectReference) *types.LocalizedMethodFault
}

// vsphereCalls maps the SOAP method names of VirtualMachine that can be made
// to fail. Each fails the way vCenter fails it for a reason outside the
// caller's control.
var vsphereCalls = map[string]vsphereCall{
	"CloneVM_Task": {
		kind: KindVSphereClone,
		task: "cloneVm",
		// The source disk is locked, e.g. by a backup snapshot.
		fault: func(vm vmFacts, _ types.ManagedObjectReference) *types.LocalizedMethodFault {
			return &types.LocalizedMethodFault{
				Fault:            &types.FileLocked{FileFault: types.FileFault{File: vm.disk}},
				LocalizedMessage: fmt.Sprintf("Unable to access file %s since it is locked", vm.disk),
			}
		},
	},
	"PowerOnVM_Task": {
		kind: KindVSpherePowerOn,
		task: "powerOn",
		// Admission control refuses the VM's memory reservation.
		fault: func(vmFacts, types.ManagedObjectReference) *types.LocalizedMethodFault {
			return &types.LocalizedMethodFault{
				Fault:            &types.InsufficientResourcesFault{},
				LocalizedMessage: "The available Memory resources in the parent resource pool are insufficient for the operation.",
			}
		},
	},
	"RelocateVM_Task": {
		kind: KindVSphereRelocate,
		task: "relocateVm",
		// The vMotion is refused: the target host cannot run the VM (as vCenter says when,
		// say, the host lost access to a network the VM uses).
		fault: func(vm vmFacts, _ types.ManagedObjectReference) *types.LocalizedMethodFault {
			return &types.LocalizedMethodFault{
				Fault:            &types.MigrationFault{},
				LocalizedMessage: fmt.Sprintf("The migration of %s was refused by the destination host", vm.name),
			}
		},
	},
	"ReconfigVM_Task": {
		kind: KindVSphereReconfigure,
		task: "reconfigVm",
		// Another task holds the VM. vCenter names that task; here nothing
		// else runs, so the fault names the failed task itself.
		fault: func(_ vmFacts, task types.ManagedObjectReference) *types.LocalizedMethodFault {
			return &types.LocalizedMethodFault{
				Fault:            &types.TaskInProgress{Task: task},
				LocalizedMessage: "Another task is already in progress.",
			}
		},
	},
	"Destroy_Task": {
		kind: KindVSphereDestroy,
		task: "destroy",
		fault: func(vmFacts, types.ManagedObjectReference) *types.LocalizedMethodFault {
			return &types.LocalizedMethodFault{
				Fault:            &types.InvalidState{},
				LocalizedMessage: "The operation is not allowed in the current state.",
			}
		},
	},
}

// injectVSphereFaults makes the VirtualMachine methods in vsphereCalls of
// registry r fail when faults says so. It must be called before r serves
// requests.
//
// It uses the registry's Handler hook, which vcsim consults before it
// dispatches each method call, and keeps any Handler already installed for the
// calls it leaves alone. An object the Handler returns is not used for calls
// made in a session (vcsim then prefers the session's view of the target), so
// a call that must fail is instead pointed at a one-shot stand-in registered
// in the caller's session, the way vcsim keeps per-session objects such as
// property collectors. The stand-in starts the failing task and removes
// itself. Nothing is global: each registry, and so each VCenter, has its own
// hook and Faults.
func injectVSphereFaults(r *simulator.Registry, faults *Faults) {
	next := r.Handler
	r.Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if call := failingCallFor(ctx, m, faults); call != nil {
			m.This = ctx.Session.Put(call).Reference()
			return nil, nil
		}
		if next != nil {
			return next(ctx, m)
		}
		return nil, nil
	}
}

// failingCallFor counts method call m if it is one that faults can fail and
// returns the stand-in that fails it, or nil to let vcsim run it.
func failingCallFor(ctx *simulator.Context, m *simulator.Method, faults *Faults) *failingCall {
	call, ok := vsphereCalls[m.Name]
	// Unauthenticated calls are refused by vcsim before they run; they don't count.
	if !ok || m.This.Type != "VirtualMachine" || ctx.Session == nil {
		return nil
	}
	vm, ok := ctx.Map.Get(m.This).(*simulator.VirtualMachine)
	if !ok {
		return nil
	}
	var facts vmFacts
	var disabled bool
	ctx.WithLock(vm, func() {
		facts = vmFactsOf(vm)
		disabled = slices.Contains(vm.DisabledMethod, m.Name)
	})
	// vcsim refuses these synchronously, as vCenter does; leave that to it.
	if disabled || call.kind == KindVSpherePowerOn && facts.template {
		return nil
	}
	target := facts.name
	if req, ok := m.Body.(*types.CloneVM_Task); ok {
		target = req.Name
	}
	if !faults.Hit(call.kind, target) {
		return nil
	}
	return &failingCall{vmRef: m.This, vm: facts, call: call}
}

// vmFactsOf reads vm; the caller holds its lock.
func vmFactsOf(vm *simulator.VirtualMachine) vmFacts {
	facts := vmFacts{name: vm.Name}
	if vm.Config == nil {
		return facts
	}
	facts.template = vm.Config.Template
	facts.disk = vm.Config.Files.VmPathName
	for _, d := range vm.Config.Hardware.Device {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		if b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
			if name := b.GetVirtualDeviceFileBackingInfo().FileName; strings.TrimSpace(name) != "" {
				facts.disk = name
				break
			}
		}
	}
	return facts
}

// failingCall stands in for a VirtualMachine for one call that must fail: the
// method starts a task, as vCenter does, and that task ends in error. It
// serves a single call, so it needs no lock of its own (it implements
// sync.Locker to opt out of vcsim's per-object locking) and locks the VM
// where it touches it.
type failingCall struct {
	// Self is the stand-in's own reference, in the caller's session.
	Self  types.ManagedObjectReference
	vmRef types.ManagedObjectReference
	vm    vmFacts
	call  vsphereCall
}

// Reference implements mo.Reference.
func (c *failingCall) Reference() types.ManagedObjectReference { return c.Self }

// Lock implements sync.Locker and does nothing.
func (*failingCall) Lock() {}

// Unlock implements sync.Locker and does nothing.
func (*failingCall) Unlock() {}

// CloneVMTask fails VirtualMachine.CloneVM_Task.
func (c *failingCall) CloneVMTask(ctx *simulator.Context, _ *types.CloneVM_Task) soap.HasFault {
	return &methods.CloneVM_TaskBody{Res: &types.CloneVM_TaskResponse{Returnval: c.failTask(ctx)}}
}

// PowerOnVMTask fails VirtualMachine.PowerOnVM_Task.
func (c *failingCall) PowerOnVMTask(ctx *simulator.Context, _ *types.PowerOnVM_Task) soap.HasFault {
	return &methods.PowerOnVM_TaskBody{Res: &types.PowerOnVM_TaskResponse{Returnval: c.failTask(ctx)}}
}

// ReconfigVMTask fails VirtualMachine.ReconfigVM_Task.
func (c *failingCall) ReconfigVMTask(ctx *simulator.Context, _ *types.ReconfigVM_Task) soap.HasFault {
	return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: c.failTask(ctx)}}
}

// RelocateVMTask fails VirtualMachine.RelocateVM_Task (a vMotion).
func (c *failingCall) RelocateVMTask(ctx *simulator.Context, _ *types.RelocateVM_Task) soap.HasFault {
	return &methods.RelocateVM_TaskBody{Res: &types.RelocateVM_TaskResponse{Returnval: c.failTask(ctx)}}
}

// DestroyTask fails ManagedEntity.Destroy_Task of a VirtualMachine.
func (c *failingCall) DestroyTask(ctx *simulator.Context, _ *types.Destroy_Task) soap.HasFault {
	return &methods.Destroy_TaskBody{Res: &types.Destroy_TaskResponse{Returnval: c.failTask(ctx)}}
}

// failTask removes the stand-in, registers a running task for the VM and, as
// vcsim's own tasks do, completes it from another goroutine: in error, with
// the call's fault.
func (c *failingCall) failTask(ctx *simulator.Context) types.ManagedObjectReference {
	ctx.Session.Remove(ctx, c.Self)

	task := simulator.CreateTask(c.vmRef, c.call.task, nil)
	task.Info.EntityName = c.vm.name
	// Put assigns task.Self and lists the task among the VM's recent tasks.
	ctx.WithLock(c.vmRef, func() { ctx.Map.Put(task) })
	ref := task.Self
	ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{
		{Name: "info.key", Val: ref.Value},
		{Name: "info.task", Val: ref},
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
	})
	fault := c.call.fault(c.vm, ref)
	go ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateError},
		{Name: "info.error", Val: fault},
	})
	return ref
}
