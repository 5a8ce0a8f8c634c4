package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/types"
)

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Fault
	}{
		{"vsphere.clone:3", Fault{Kind: KindVSphereClone, Nth: 3}},
		{" vsphere.destroy:1 ", Fault{Kind: KindVSphereDestroy, Nth: 1}},
		{"node.boot:vm=dev-east-cp-0", Fault{Kind: KindNodeBoot, VM: "dev-east-cp-0"}},
		{"vsphere.poweron:vm=w-1,times=2", Fault{Kind: KindVSpherePowerOn, VM: "w-1", Times: 2}},
	} {
		got, err := ParseFault(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if strings.TrimSpace(tc.in) != got.String() {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), strings.TrimSpace(tc.in))
		}
	}

	for _, tc := range []struct {
		in   string
		want string // in the message
	}{
		{"nope:1", `unknown kind "nope"`},
		{"vsphere.clone:0", "call number 0 must be 1 or more"},
		{"vsphere.clone:-2", "call number -2 must be 1 or more"},
		{"vsphere.clone:x", `call number "x" is not a whole number`},
		{"vsphere.clone", "want KIND:N or KIND:vm=NAME"},
		{"vsphere.clone:", "want KIND:N or KIND:vm=NAME"},
		{"node.boot:vm=", "empty VM name"},
		{"node.boot:vm=a,times=0", `times "0" is not a positive whole number`},
	} {
		_, err := ParseFault(tc.in)
		if err == nil {
			t.Errorf("ParseFault(%q) succeeded", tc.in)
			continue
		}
		if !errors.Is(err, ErrInvalidFault) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseFault(%q) error %q: want ErrInvalidFault naming the input and %q", tc.in, err, tc.want)
		}
	}
}

func TestFaultsAddValidates(t *testing.T) {
	f := NewFaults()
	for _, bad := range []Fault{
		{Kind: "vsphere.cloned", Nth: 1},
		{Kind: KindSSHExec},
		{Kind: KindSSHExec, Nth: 1, VM: "a"},
		{Kind: KindSSHExec, Nth: -1},
		{Kind: KindSSHExec, Nth: 1, Times: 2},
		{Kind: KindSSHExec, VM: "a", Times: -1},
	} {
		if err := f.Add(bad); !errors.Is(err, ErrInvalidFault) {
			t.Errorf("Add(%+v) = %v, want ErrInvalidFault", bad, err)
		}
	}
	for _, kind := range FaultKinds() {
		if err := f.Add(Fault{Kind: kind, Nth: 1}); err != nil {
			t.Errorf("Add %s: %v", kind, err)
		}
	}
}

func TestFaultsHit(t *testing.T) {
	f := NewFaults()
	mustAdd(t, f, Fault{Kind: KindSSHExec, Nth: 2}, Fault{Kind: KindNodeBoot, VM: "cp-0", Times: 2}, Fault{Kind: KindControlPlaneDie, VM: "cp-1"})

	var got []bool
	for range 4 {
		got = append(got, f.Hit(KindSSHExec, "cp-0"))
	}
	if fmt.Sprint(got) != "[false true false false]" {
		t.Errorf("ssh.exec:2 over 4 calls: %v", got)
	}
	got = nil
	for _, vm := range []string{"cp-0", "cp-1", "cp-0", "cp-0"} {
		got = append(got, f.Hit(KindNodeBoot, vm))
	}
	if fmt.Sprint(got) != "[true false true false]" {
		t.Errorf("node.boot:vm=cp-0,times=2: %v", got)
	}
	for range 3 {
		if !f.Hit(KindControlPlaneDie, "cp-1") {
			t.Error("controlplane.die:vm=cp-1 did not fire")
		}
	}
	if f.Hit(KindVSphereClone, "cp-1") || f.Hit(KindControlPlaneDie, "cp-0") {
		t.Error("a call without a rule failed")
	}
	if n := f.Calls(KindNodeBoot); n != 4 {
		t.Errorf("Calls(node.boot) = %d, want 4", n)
	}

	fired := f.Fired()
	want := []string{
		"ssh.exec call 2 (VM \"cp-0\") failed by rule ssh.exec:2",
		"node.boot call 1 (VM \"cp-0\") failed by rule node.boot:vm=cp-0,times=2",
		"node.boot call 3 (VM \"cp-0\") failed by rule node.boot:vm=cp-0,times=2",
	}
	if len(fired) != 6 {
		t.Fatalf("Fired() = %v, want 6", fired)
	}
	for i, w := range want {
		if fired[i].String() != w {
			t.Errorf("Fired()[%d] = %q, want %q", i, fired[i], w)
		}
	}

	f.Reset()
	if f.Hit(KindControlPlaneDie, "cp-1") || len(f.Fired()) != 0 || f.Calls(KindSSHExec) != 0 {
		t.Error("Reset kept rules, fired faults or counts")
	}
	mustAdd(t, f, Fault{Kind: KindSSHExec, Nth: 1})
	if !f.Hit(KindSSHExec, "") {
		t.Error("counting did not restart at 1 after Reset")
	}

	var none *Faults
	if none.Hit(KindSSHExec, "") || none.Fired() != nil || none.Calls(KindSSHExec) != 0 {
		t.Error("a nil *Faults made a call fail")
	}
}

// TestFaultsClearWhileRunning changes the rules between calls, as `clusterwright dev`
// does at run time: Rules lists them, Clear removes them and calls succeed again, while
// the calls counted and the faults fired are kept.
func TestFaultsClearWhileRunning(t *testing.T) {
	f := NewFaults()
	if f.Hit(KindVSphereClone, "w-0") {
		t.Fatal("a call failed without a rule")
	}
	mustAdd(t, f, Fault{Kind: KindVSphereClone, VM: "w-1"}, Fault{Kind: KindSSHExec, Nth: 5})
	if got := fmt.Sprint(f.Rules()); got != "[vsphere.clone:vm=w-1 ssh.exec:5]" {
		t.Errorf("Rules() = %s", got)
	}
	for range 2 {
		if !f.Hit(KindVSphereClone, "w-1") {
			t.Fatal("vsphere.clone:vm=w-1 did not fire")
		}
	}
	f.Clear()
	if len(f.Rules()) != 0 || f.Hit(KindVSphereClone, "w-1") {
		t.Fatal("a rule outlived Clear")
	}
	if f.Calls(KindVSphereClone) != 4 || len(f.Fired()) != 2 {
		t.Errorf("after Clear: %d calls counted, fired %v; want 4 and the 2 fired before", f.Calls(KindVSphereClone), f.Fired())
	}
	mustAdd(t, f, Fault{Kind: KindVSphereClone, Nth: 5})
	if !f.Hit(KindVSphereClone, "w-2") {
		t.Error("the 5th call since the start did not fail: Clear restarted the count")
	}
	var none *Faults
	if none.Rules() != nil {
		t.Error("a nil *Faults has rules")
	}
}

func TestFaultsHitConcurrent(t *testing.T) {
	f := NewFaults()
	mustAdd(t, f, Fault{Kind: KindNodeBoot, Nth: 37}, Fault{Kind: KindNodeBoot, Nth: 100})
	var hits atomic.Int32
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if f.Hit(KindNodeBoot, fmt.Sprintf("vm-%d", i)) {
				hits.Add(1)
			}
		})
	}
	wg.Wait()
	if hits.Load() != 2 {
		t.Errorf("%d calls failed, want 2 (calls 37 and 100)", hits.Load())
	}
	fired := f.Fired()
	if len(fired) != 2 || fired[0].Call != 37 || fired[1].Call != 100 {
		t.Errorf("Fired() = %v", fired)
	}
	if f.Hit(KindNodeBoot, "") {
		t.Error("an Nth rule fired twice")
	}
}

func mustAdd(t *testing.T, f *Faults, rules ...Fault) {
	t.Helper()
	for _, r := range rules {
		if err := f.Add(r); err != nil {
			t.Fatalf("Add(%+v): %v", r, err)
		}
	}
}

// vmSite clones VMs from DefaultTemplate in a vCenter, as Clusterwright does.
type vmSite struct {
	finder   *find.Finder
	folder   *object.Folder
	template *object.VirtualMachine
	spec     types.VirtualMachineCloneSpec
}

func newVMSite(t *testing.T, vc *VCenter) *vmSite {
	t.Helper()
	c, err := login(t, vc, vc.Username, vc.Password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	ctx := context.Background()
	finder := find.NewFinder(c.Client)
	dc, err := finder.Datacenter(ctx, DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	template, err := finder.VirtualMachine(ctx, DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := finder.ResourcePool(ctx, DefaultCluster+"/Resources")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := finder.Datastore(ctx, DefaultDatastore)
	if err != nil {
		t.Fatal(err)
	}
	poolRef, dsRef := pool.Reference(), ds.Reference()
	return &vmSite{
		finder:   finder,
		folder:   folders.VmFolder,
		template: template,
		spec:     types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: &poolRef, Datastore: &dsRef}},
	}
}

func (s *vmSite) clone(name string) (*object.VirtualMachine, error) {
	ctx := context.Background()
	t, err := s.template.Clone(ctx, s.folder, name, s.spec)
	if err != nil {
		return nil, fmt.Errorf("start clone: %w", err)
	}
	info, err := t.WaitForResult(ctx)
	if err != nil {
		return nil, err
	}
	return object.NewVirtualMachine(s.template.Client(), info.Result.(types.ManagedObjectReference)), nil
}

func (s *vmSite) mustClone(t *testing.T, name string) *object.VirtualMachine {
	t.Helper()
	vm, err := s.clone(name)
	if err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
	return vm
}

func (s *vmSite) exists(t *testing.T, name string) bool {
	t.Helper()
	_, err := s.finder.VirtualMachine(context.Background(), name)
	var nf *find.NotFoundError
	if err != nil && !errors.As(err, &nf) {
		t.Fatalf("find %s: %v", name, err)
	}
	return err == nil
}

// run waits for the task that start starts.
func run(start func(context.Context) (*object.Task, error)) error {
	ctx := context.Background()
	t, err := start(ctx)
	if err != nil {
		return fmt.Errorf("start task: %w", err)
	}
	_, err = t.WaitForResult(ctx)
	return err
}

// taskFault returns the fault of the failed task that err reports.
func taskFault(t *testing.T, err error) (types.BaseMethodFault, string) {
	t.Helper()
	var te task.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a task error", err, err)
	}
	return te.Fault(), te.LocalizedMessage
}

func TestCloneFault(t *testing.T) {
	faults := NewFaults()
	mustAdd(t, faults, Fault{Kind: KindVSphereClone, Nth: 2})
	site := newVMSite(t, start(t, VCenterOptions{VMs: -1, Faults: faults}))

	site.mustClone(t, "vm-1")
	_, err := site.clone("vm-2")
	if err == nil {
		t.Fatal("the 2nd clone succeeded")
	}
	fault, msg := taskFault(t, err)
	locked, ok := fault.(*types.FileLocked)
	if !ok {
		t.Fatalf("fault %T, want *types.FileLocked", fault)
	}
	wantFile := fmt.Sprintf("[%s] %s/%s.vmdk", DefaultDatastore, DefaultTemplate, DefaultTemplate)
	if locked.File != wantFile || msg != "Unable to access file "+wantFile+" since it is locked" || err.Error() != msg {
		t.Errorf("file %q, message %q, error %q", locked.File, msg, err)
	}
	if site.exists(t, "vm-2") {
		t.Error("the failed clone created its VM")
	}
	site.mustClone(t, "vm-3")
	site.mustClone(t, "vm-2") // a retry succeeds

	fired := faults.Fired()
	if len(fired) != 1 || fired[0].Call != 2 || fired[0].VM != "vm-2" || fired[0].Fault.Kind != KindVSphereClone {
		t.Errorf("Fired() = %v", fired)
	}
	if n := faults.Calls(KindVSphereClone); n != 4 {
		t.Errorf("%d clones counted, want 4", n)
	}
}

// Concurrent clones of one template, in one session, fail exactly the chosen call.
func TestCloneFaultConcurrent(t *testing.T) {
	faults := NewFaults()
	mustAdd(t, faults, Fault{Kind: KindVSphereClone, Nth: 5})
	site := newVMSite(t, start(t, VCenterOptions{VMs: -1, Faults: faults}))
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = site.clone(fmt.Sprintf("c-%d", i))
		})
	}
	wg.Wait()
	var failed []string
	for i, err := range errs {
		if err != nil {
			if fault, _ := taskFault(t, err); !isFault[*types.FileLocked](fault) {
				t.Errorf("clone c-%d: %v", i, err)
			}
			failed = append(failed, fmt.Sprintf("c-%d", i))
		}
	}
	fired := faults.Fired()
	if len(failed) != 1 || len(fired) != 1 || fired[0].VM != failed[0] || fired[0].Call != 5 {
		t.Errorf("failed clones %v, fired %v; want one, the 5th", failed, fired)
	}
}

func TestPowerOnFaultForVM(t *testing.T) {
	faults := NewFaults()
	mustAdd(t, faults, Fault{Kind: KindVSpherePowerOn, VM: "doomed"})
	site := newVMSite(t, start(t, VCenterOptions{VMs: -1, Faults: faults}))
	doomed, fine := site.mustClone(t, "doomed"), site.mustClone(t, "fine")

	for range 2 {
		err := run(doomed.PowerOn)
		if err == nil {
			t.Fatal("power on of doomed succeeded")
		}
		if fault, msg := taskFault(t, err); !isFault[*types.InsufficientResourcesFault](fault) || !strings.Contains(msg, "insufficient") {
			t.Errorf("fault %T %q, want *types.InsufficientResourcesFault", fault, msg)
		}
	}
	if state, err := doomed.PowerState(context.Background()); err != nil || state != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("doomed is %s (%v), want powered off", state, err)
	}
	if err := run(fine.PowerOn); err != nil {
		t.Errorf("power on of fine: %v", err)
	}
	if fired := faults.Fired(); len(fired) != 2 || fired[1].Call != 2 || fired[1].VM != "doomed" {
		t.Errorf("Fired() = %v", fired)
	}

	// Powering on a template fails without a task, as in vCenter, and is not counted.
	if _, err := site.template.PowerOn(context.Background()); err == nil {
		t.Error("power on of the template succeeded")
	}
	if n := faults.Calls(KindVSpherePowerOn); n != 3 {
		t.Errorf("%d power-ons counted, want 3", n)
	}
}

func TestReconfigureAndDestroyFaults(t *testing.T) {
	faults := NewFaults()
	mustAdd(t, faults, Fault{Kind: KindVSphereReconfigure, Nth: 1}, Fault{Kind: KindVSphereDestroy, VM: "vm-a", Times: 1})
	site := newVMSite(t, start(t, VCenterOptions{VMs: -1, Faults: faults}))
	vm := site.mustClone(t, "vm-a")
	reconfigure := func(ctx context.Context) (*object.Task, error) {
		return vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{NumCPUs: 4})
	}

	err := run(reconfigure)
	fault, msg := taskFault(t, err)
	if inProgress, ok := fault.(*types.TaskInProgress); !ok || inProgress.Task.Type != "Task" || msg != "Another task is already in progress." {
		t.Errorf("reconfigure fault %#v %q, want *types.TaskInProgress", fault, msg)
	}
	if err := run(reconfigure); err != nil {
		t.Errorf("second reconfigure: %v", err)
	}

	fault, msg = taskFault(t, run(vm.Destroy))
	if !isFault[*types.InvalidState](fault) || msg != "The operation is not allowed in the current state." {
		t.Errorf("destroy fault %T %q, want *types.InvalidState", fault, msg)
	}
	if !site.exists(t, "vm-a") {
		t.Fatal("the failed destroy removed the VM")
	}
	if err := run(vm.Destroy); err != nil {
		t.Errorf("second destroy: %v", err)
	}
	if site.exists(t, "vm-a") {
		t.Error("the VM survived its destroy")
	}
	if fired := faults.Fired(); len(fired) != 2 {
		t.Errorf("Fired() = %v", fired)
	}
}

func TestFaultsPerVCenter(t *testing.T) {
	fa, fb := NewFaults(), NewFaults()
	mustAdd(t, fa, Fault{Kind: KindVSphereClone, Nth: 1})
	mustAdd(t, fb, Fault{Kind: KindVSphereClone, Nth: 2})
	a := newVMSite(t, start(t, VCenterOptions{VMs: -1, Faults: fa}))
	b := newVMSite(t, start(t, VCenterOptions{VMs: -1, Faults: fb}))
	plain := newVMSite(t, start(t, VCenterOptions{VMs: -1}))

	if _, err := a.clone("x"); err == nil {
		t.Error("clone 1 on a succeeded")
	}
	b.mustClone(t, "x")
	plain.mustClone(t, "x")
	a.mustClone(t, "y")
	if _, err := b.clone("y"); err == nil {
		t.Error("clone 2 on b succeeded")
	}
	plain.mustClone(t, "y")
	if fa.Calls(KindVSphereClone) != 2 || fb.Calls(KindVSphereClone) != 2 {
		t.Errorf("clones counted: a %d, b %d; want 2 each", fa.Calls(KindVSphereClone), fb.Calls(KindVSphereClone))
	}
	if len(fa.Fired()) != 1 || len(fb.Fired()) != 1 {
		t.Errorf("fired: a %v, b %v", fa.Fired(), fb.Fired())
	}
}

func isFault[T types.BaseMethodFault](f types.BaseMethodFault) bool {
	_, ok := f.(T)
	return ok
}
