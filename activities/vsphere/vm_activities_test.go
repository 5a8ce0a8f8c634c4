package vsphere

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// newVMActivities returns activities on env's vCenter (registered as "vc1")
// whose guestinfo holds the canary.
func newVMActivities(env *vmEnv) *Activities {
	store := newMemStore()
	store.creds["vc1"] = env.vc.Credentials()
	store.cluster["vc1"] = domain.ClusterAccountCredentials{VCenterCredentials: env.vc.ClusterCredentials()}
	sessions := NewSessions(env.logger)
	env.t.Cleanup(func() { sessions.Close(context.Background()) })
	return &Activities{Sessions: sessions, Store: store, Budget: NewTaskBudget(0), GuestInfo: canaryGuestInfo()}
}

// appError asserts that err is an application error of type typ, retryable
// or not, and that neither it nor what Temporal would record of it carries
// a guestinfo value.
func appError(t *testing.T, err error, typ string, retryable bool) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) is not an application error", err, err)
	}
	if appErr.Type() != typ || appErr.NonRetryable() == retryable {
		t.Errorf("error type %q non-retryable %v, want %q non-retryable %v (%v)", appErr.Type(), appErr.NonRetryable(), typ, !retryable, err)
	}
	assertNoCanary(t, err)
	failure := temporal.GetDefaultFailureConverter().ErrorToFailure(err)
	if strings.Contains(failure.String(), canary) {
		t.Errorf("the failure recorded by Temporal contains a guestinfo value: %v", failure)
	}
}

func TestEnsureVMCloneFaultIsRetried(t *testing.T) {
	faults := sim.NewFaults()
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, Nth: 2}); err != nil {
		t.Fatal(err)
	}
	env := newVMEnv(t, sim.VCenterOptions{Faults: faults})
	a := newVMActivities(env)
	ctx := context.Background()

	if _, err := a.EnsureVM(ctx, request("dev-cp-0").VMSpec); err != nil {
		t.Fatal(err)
	}
	_, err := a.EnsureVM(ctx, request("dev-w-0").VMSpec)
	appError(t, err, "FileLocked", true)
	t.Logf("error: %v", err)
	if n := env.countNamed("dev-w-0"); n != 0 {
		t.Fatalf("%d VMs after the failed clone", n)
	}

	// The retry clones once more, and only once.
	info, err := a.EnsureVM(ctx, request("dev-w-0").VMSpec)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := env.countNamed("dev-w-0"); n != 1 {
		t.Fatalf("%d VMs named dev-w-0 after the retry, want 1", n)
	}
	if again, _ := a.EnsureVM(ctx, request("dev-w-0").VMSpec); again.Moref != info.Moref {
		t.Errorf("a further call returned %s, want %s", again.Moref, info.Moref)
	}
	if got := env.faults.Calls(sim.KindVSphereClone); got != 3 {
		t.Errorf("%d clone calls, want 3", got)
	}
}

func TestPowerOnFaultIsRetried(t *testing.T) {
	faults := sim.NewFaults()
	if err := faults.Add(sim.Fault{Kind: sim.KindVSpherePowerOn, Nth: 1}); err != nil {
		t.Fatal(err)
	}
	env := newVMEnv(t, sim.VCenterOptions{Faults: faults})
	a := newVMActivities(env)
	ctx := context.Background()
	info, err := a.EnsureVM(ctx, request("dev-cp-0").VMSpec)
	if err != nil {
		t.Fatal(err)
	}
	ref := VMRef{VCenterID: "vc1", ClusterID: "c1", Name: "dev-cp-0"}

	appError(t, a.PowerOnVM(ctx, ref), "InsufficientResourcesFault", true)
	if err := a.PowerOnVM(ctx, ref); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := env.vm(info.Moref).Runtime.PowerState; got != "poweredOn" {
		t.Errorf("power state %s", got)
	}
}

func TestEnsureVMRetriesBusyVM(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	req := request("dev-cp-0")
	info, _ := env.ensure(req)

	// The next reconfigure finds the VM busy with another task (TaskInProgress).
	calls := env.faults.Calls(sim.KindVSphereReconfigure)
	if err := env.faults.Add(sim.Fault{Kind: sim.KindVSphereReconfigure, Nth: calls + 1}); err != nil {
		t.Fatal(err)
	}
	req.CPUs = 6
	if _, _, err := env.ops.EnsureVM(context.Background(), env.c, req); err != nil {
		t.Fatalf("EnsureVM: %v", err)
	}
	if fired := env.faults.Fired(); len(fired) != 1 {
		t.Fatalf("faults fired: %v", fired)
	}
	if got := env.faults.Calls(sim.KindVSphereReconfigure) - calls; got != 2 {
		t.Errorf("%d reconfigure calls, want 2 (busy, then done)", got)
	}
	if n := env.vm(info.Moref).Config.Hardware.NumCPU; n != 6 {
		t.Errorf("%d CPUs, want 6", n)
	}
}

func TestDestroyFaultIsRetried(t *testing.T) {
	faults := sim.NewFaults()
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereDestroy, Nth: 1}); err != nil {
		t.Fatal(err)
	}
	env := newVMEnv(t, sim.VCenterOptions{Faults: faults})
	a := newVMActivities(env)
	ctx := context.Background()
	if _, err := a.EnsureVM(ctx, request("dev-cp-0").VMSpec); err != nil {
		t.Fatal(err)
	}
	ref := VMRef{VCenterID: "vc1", ClusterID: "c1", Name: "dev-cp-0"}
	appError(t, a.DestroyVM(ctx, ref), "InvalidState", true)
	for range 2 {
		if err := a.DestroyVM(ctx, ref); err != nil {
			t.Fatalf("retry: %v", err)
		}
	}
	if n := env.countNamed("dev-cp-0"); n != 0 {
		t.Errorf("%d VMs left", n)
	}
}

func TestVMActivityErrors(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	a := newVMActivities(env)
	ctx := context.Background()
	env.plainClone("dev-cp-0", nil, nil)
	clones := env.faults.Calls(sim.KindVSphereClone)

	appError(t, mustFail(a.EnsureVM(ctx, request("dev-cp-0").VMSpec)), ErrTypeVMNameTaken, false)
	appError(t, a.DestroyVM(ctx, VMRef{VCenterID: "vc1", ClusterID: "c1", Name: "dev-cp-0"}), ErrTypeVMNotOwned, false)
	appError(t, a.PowerOnVM(ctx, VMRef{VCenterID: "vc1", ClusterID: "c1", Name: "dev-cp-0"}), ErrTypeVMNotFound, false)

	bad := request("dev-cp-1").VMSpec
	bad.Placement.Datastore = "NoSuchDS"
	err := mustFail(a.EnsureVM(ctx, bad))
	appError(t, err, ErrTypePlacementNotFound, false)
	if !strings.Contains(err.Error(), "placement.datastore") {
		t.Errorf("error %q does not name the field", err)
	}
	bad = request("dev-cp-1").VMSpec
	bad.CPUs = 0
	appError(t, mustFail(a.EnsureVM(ctx, bad)), ErrTypeInvalidVMRequest, false)

	unknown := request("dev-cp-1").VMSpec
	unknown.VCenterID = "vc9"
	appError(t, mustFail(a.EnsureVM(ctx, unknown)), ErrTypeNotFound, false)

	// The guestinfo source failing.
	a.GuestInfo = guestInfoFunc(func(context.Context, string, string) (map[string]string, error) {
		return nil, fmt.Errorf("node bootstrap of cluster c1: %w", domain.ErrNotFound)
	})
	appError(t, mustFail(a.EnsureVM(ctx, request("dev-cp-1").VMSpec)), ErrTypeGuestInfo, false)
	a.GuestInfo = guestInfoFunc(func(context.Context, string, string) (map[string]string, error) {
		return nil, errors.New("inventory unavailable")
	})
	appError(t, mustFail(a.EnsureVM(ctx, request("dev-cp-1").VMSpec)), ErrTypeGuestInfo, true)
	a.GuestInfo = nil
	appError(t, mustFail(a.EnsureVM(ctx, request("dev-cp-1").VMSpec)), ErrTypeGuestInfo, false)
	if n := env.faults.Calls(sim.KindVSphereClone) - clones; n != 0 {
		t.Errorf("%d clones for failing requests", n)
	}
}

func mustFail[T any](_ T, err error) error { return err }

// TestVMActivitiesInActivityEnvironment runs the VM activities the way a
// worker does: registered, with their inputs and results through Temporal's
// data converter.
func TestVMActivitiesInActivityEnvironment(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	a := newVMActivities(env)

	var suite testsuite.WorkflowTestSuite
	aenv := suite.NewTestActivityEnvironment()
	aenv.RegisterActivity(a)

	spec := request("dev-cp-0").VMSpec
	payload, err := converter.GetDefaultDataConverter().ToPayload(spec)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(payload.String(), canary) {
		t.Fatal("the activity input carries guestinfo")
	}
	val, err := aenv.ExecuteActivity(a.EnsureVM, spec)
	if err != nil {
		t.Fatalf("EnsureVM: %v", err)
	}
	var info VMInfo
	if err := val.Get(&info); err != nil || info.Moref == "" {
		t.Fatalf("EnsureVM result %+v, %v", info, err)
	}
	ref := VMRef{VCenterID: "vc1", ClusterID: "c1", Name: spec.Name, Moref: info.Moref}
	if _, err := aenv.ExecuteActivity(a.PowerOnVM, ref); err != nil {
		t.Fatalf("PowerOnVM: %v", err)
	}
	env.setIP(info.Moref, "127.0.0.7")
	val, err = aenv.ExecuteActivity(a.WaitForVMIP, VMRef{VCenterID: "vc1", ClusterID: "c1", Name: spec.Name})
	if err != nil {
		t.Fatalf("WaitForVMIP: %v", err)
	}
	var ip string
	if err := val.Get(&ip); err != nil || ip != "127.0.0.7" {
		t.Fatalf("WaitForVMIP = %q, %v", ip, err)
	}
	val, err = aenv.ExecuteActivity(a.ListClusterVMs, ClusterRef{VCenterID: "vc1", ClusterID: "c1"})
	if err != nil {
		t.Fatalf("ListClusterVMs: %v", err)
	}
	var vms []VMInfo
	if err := val.Get(&vms); err != nil || len(vms) != 1 || vms[0].IP != "127.0.0.7" || vms[0].PowerState != "poweredOn" {
		t.Fatalf("ListClusterVMs = %+v, %v", vms, err)
	}
	if _, err := aenv.ExecuteActivity(a.DestroyVM, ref); err != nil {
		t.Fatalf("DestroyVM: %v", err)
	}
	if n := env.countNamed(spec.Name); n != 0 {
		t.Errorf("%d VMs left", n)
	}
}
