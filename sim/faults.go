package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Kinds of calls that the simulator can make fail on purpose (see Faults).
const (
	// KindVSphereClone fails VirtualMachine.CloneVM_Task. The rule's VM is the
	// name of the clone being created.
	KindVSphereClone = "vsphere.clone"
	// KindVSpherePowerOn fails VirtualMachine.PowerOnVM_Task.
	KindVSpherePowerOn = "vsphere.poweron"
	// KindVSphereReconfigure fails VirtualMachine.ReconfigVM_Task.
	KindVSphereReconfigure = "vsphere.reconfigure"
	// KindVSphereDestroy fails VirtualMachine.Destroy_Task.
	KindVSphereDestroy = "vsphere.destroy"
	// KindVSphereRelocate fails VirtualMachine.RelocateVM_Task (a vMotion) of the VM.
	KindVSphereRelocate = "vsphere.relocate"
	// KindNodeBoot fails the simulated boot (cloud-init and kubeadm) of a
	// node whose VM was powered on.
	KindNodeBoot = "node.boot"
	// KindSSHExec fails a command run over SSH on a simulated node.
	KindSSHExec = "ssh.exec"
	// KindControlPlaneDie kills a simulated control plane.
	KindControlPlaneDie = "controlplane.die"
	// KindNodePowerCut makes the power-off of a node's VM a cut rather
	// than a guest shutdown, as vSphere's PowerOffVM_Task or a failed host
	// is: the kubelet stops without reporting its Node NotReady, so the
	// control plane's node lifecycle controller notices only after its
	// node-monitor grace period (the Node's Ready condition turns Unknown).
	KindNodePowerCut = "node.powercut"
)

// FaultKinds returns every fault kind, in a stable order.
func FaultKinds() []string {
	return []string{
		KindVSphereClone, KindVSpherePowerOn, KindVSphereReconfigure, KindVSphereDestroy, KindVSphereRelocate,
		KindNodeBoot, KindSSHExec, KindControlPlaneDie, KindNodePowerCut,
	}
}

// ErrInvalidFault is wrapped by every error about a malformed Fault or fault
// specification.
var ErrInvalidFault = errors.New("invalid simulator fault")

// Fault is a rule that makes calls of one kind fail. Exactly one of Nth and
// VM is set.
type Fault struct {
	// Kind is one of the Kind* constants.
	Kind string
	// Nth, if positive, fails the n-th call of Kind (counted from 1 since the
	// Faults was created or reset), once.
	Nth int
	// VM, if set, fails every call of Kind for the VM of this name.
	VM string
	// Times limits how often a VM rule fires; 0 means every time.
	Times int
}

// String formats f the way ParseFault reads it.
func (f Fault) String() string {
	if f.VM == "" {
		return fmt.Sprintf("%s:%d", f.Kind, f.Nth)
	}
	s := f.Kind + ":vm=" + f.VM
	if f.Times > 0 {
		s += ",times=" + strconv.Itoa(f.Times)
	}
	return s
}

// Validate reports whether f is a well-formed rule.
func (f Fault) Validate() error {
	switch {
	case !slices.Contains(FaultKinds(), f.Kind):
		return fmt.Errorf("%w: unknown kind %q (known kinds: %s)", ErrInvalidFault, f.Kind, strings.Join(FaultKinds(), ", "))
	case f.Nth < 0:
		return fmt.Errorf("%w %s: call number %d is negative", ErrInvalidFault, f.Kind, f.Nth)
	case f.Times < 0:
		return fmt.Errorf("%w %s: times %d is negative", ErrInvalidFault, f.Kind, f.Times)
	case f.Nth > 0 && f.VM != "":
		return fmt.Errorf("%w %s: set either a call number (%d) or a VM name (%q), not both", ErrInvalidFault, f.Kind, f.Nth, f.VM)
	case f.Nth == 0 && f.VM == "":
		return fmt.Errorf("%w %s: no call number and no VM name", ErrInvalidFault, f.Kind)
	case f.Times > 0 && f.VM == "":
		return fmt.Errorf("%w %s: times applies only to a VM rule", ErrInvalidFault, f.Kind)
	}
	return nil
}

// ParseFault parses a fault specification, as given to
// `clusterwright dev --sim-fault`:
//
//	KIND:N                 fail the N-th call of KIND (N ≥ 1), once
//	KIND:vm=NAME           fail every call of KIND for the VM named NAME
//	KIND:vm=NAME,times=T   the same, but only the first T times
func ParseFault(s string) (Fault, error) {
	s = strings.TrimSpace(s)
	kind, arg, ok := strings.Cut(s, ":")
	if !ok || kind == "" || arg == "" {
		return Fault{}, fmt.Errorf("%w %q: want KIND:N or KIND:vm=NAME", ErrInvalidFault, s)
	}
	if !slices.Contains(FaultKinds(), kind) {
		return Fault{}, fmt.Errorf("%w %q: unknown kind %q (known kinds: %s)", ErrInvalidFault, s, kind, strings.Join(FaultKinds(), ", "))
	}
	f := Fault{Kind: kind}
	if name, isVM := strings.CutPrefix(arg, "vm="); isVM {
		if before, times, hasTimes := strings.Cut(name, ",times="); hasTimes {
			n, err := strconv.Atoi(times)
			if err != nil || n < 1 {
				return Fault{}, fmt.Errorf("%w %q: times %q is not a positive whole number", ErrInvalidFault, s, times)
			}
			name, f.Times = before, n
		}
		if name == "" {
			return Fault{}, fmt.Errorf("%w %q: empty VM name after vm=", ErrInvalidFault, s)
		}
		f.VM = name
	} else {
		n, err := strconv.Atoi(arg)
		if err != nil {
			return Fault{}, fmt.Errorf("%w %q: call number %q is not a whole number (or use vm=NAME)", ErrInvalidFault, s, arg)
		}
		if n < 1 {
			return Fault{}, fmt.Errorf("%w %q: call number %d must be 1 or more (calls are counted from 1)", ErrInvalidFault, s, n)
		}
		f.Nth = n
	}
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// FiredFault records one call that a Fault made fail.
type FiredFault struct {
	// Fault is the rule that fired.
	Fault Fault
	// Call is the number of the failed call among the calls of its kind.
	Call int
	// VM is the VM name the call was made for ("" if none).
	VM string
}

// String describes ff for logs.
func (ff FiredFault) String() string {
	s := fmt.Sprintf("%s call %d", ff.Fault.Kind, ff.Call)
	if ff.VM != "" {
		s += fmt.Sprintf(" (VM %q)", ff.VM)
	}
	return s + " failed by rule " + ff.Fault.String()
}

// Faults is a registry of Fault rules that the simulator consults at each
// call that can be made to fail, so that tests (and `clusterwright dev
// --sim-fault`) can exercise retries and compensation. Give it to a vCenter
// with VCenterOptions.Faults to fail vSphere calls; the node, SSH and control
// plane simulators call Hit with their kinds. Rules may be added at any time.
// A Faults is safe for concurrent use. A nil *Faults has no rules: Hit always
// reports false.
type Faults struct {
	mu    sync.Mutex
	rules []*faultRule
	calls map[string]int
	fired []FiredFault
}

// faultRule is a Fault with how often it has fired.
type faultRule struct {
	Fault
	fired int
}

// NewFaults returns an empty registry.
func NewFaults() *Faults {
	return &Faults{calls: make(map[string]int)}
}

// Add registers a rule. Calls made before Add count towards its Nth.
func (f *Faults) Add(rule Fault) error {
	if err := rule.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &faultRule{Fault: rule})
	return nil
}

// Hit counts a call of kind made for the VM named vmName ("" if none) and
// reports whether the caller must make it fail. An Nth rule fires only for
// exactly its call and so at most once, however many goroutines call Hit.
// When several rules match a call, only the first added fires.
func (f *Faults) Hit(kind, vmName string) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[string]int)
	}
	f.calls[kind]++
	call := f.calls[kind]
	for _, r := range f.rules {
		if r.Kind == kind && r.matches(call, vmName) {
			r.fired++
			f.fired = append(f.fired, FiredFault{Fault: r.Fault, Call: call, VM: vmName})
			return true
		}
	}
	return false
}

// matches reports whether r fires for the call-th call, made for vmName.
func (r *faultRule) matches(call int, vmName string) bool {
	if r.Nth > 0 {
		return r.Nth == call
	}
	return r.VM == vmName && (r.Times == 0 || r.fired < r.Times)
}

// Calls returns how many calls of kind Hit has counted.
func (f *Faults) Calls(kind string) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[kind]
}

// Fired returns the calls that were made to fail, in order.
func (f *Faults) Fired() []FiredFault {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.fired)
}

// Rules returns the rules, in the order they were added.
func (f *Faults) Rules() []Fault {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, len(f.rules))
	for i, r := range f.rules {
		out[i] = r.Fault
	}
	return out
}

// Clear removes every rule, so that calls succeed again from now on. Unlike Reset it
// keeps counting calls (a rule added later for the N-th call means the N-th since the
// registry was created) and keeps the record of the faults fired.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Reset removes every rule and forgets the calls counted and the faults fired.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.calls = make(map[string]int)
	f.fired = nil
}
