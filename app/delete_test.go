package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestDeleteIsSafeToRerun deletes a cluster one of whose VMs was removed by hand and
// whose other VM vCenter refuses to delete: the delete, asked not to wait for a decision,
// fails at its VM step and leaves the cluster Failed; once vCenter lets go, a second
// delete finishes the job with no VM, lease or secret left.
func TestDeleteIsSafeToRerun(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	faults := sim.NewFaults()
	env := apptest.StartDatacenter(t, "66", faults)
	spec := apptest.ClusterSpec("eps", 1, 1)
	spec.Addons.KubeSphere = nil
	if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	c := apptest.GetCluster(t, env, "eps")
	destroyByHand(t, env, c.ID, "eps-default-0")
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereDestroy, VM: "eps-cp-0", Times: 100}); err != nil {
		t.Fatal(err)
	}

	op := deleteCluster(t, env, "eps?on_failure=compensate")
	if op.State != domain.OpFailed || apptest.StepStates(op)[workflows.StepDeleteVMs] != domain.StepFailed {
		t.Fatalf("first delete = %s, steps %+v; want it failed at %s", op.State, op.Steps, workflows.StepDeleteVMs)
	}
	if c := apptest.GetCluster(t, env, "eps"); c.Phase != domain.PhaseFailed || c.PhaseReason == "" {
		t.Errorf("after the failed delete: phase %s (%q)", c.Phase, c.PhaseReason)
	}

	faults.Reset()
	if op := deleteCluster(t, env, "eps"); op.State != domain.OpSucceeded {
		t.Fatalf("second delete = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	apptest.CheckNothingLeft(t, env, c.ID)
}

// deleteCluster deletes a cluster through the API and waits for the operation; name may
// carry query parameters.
func deleteCluster(t *testing.T, env *apptest.Env, name string) domain.Operation {
	t.Helper()
	r := env.Do("DELETE", "/api/v1/clusters/"+name, env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("DELETE %s: %d %s", name, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return env.WaitOperationFor(reply.Operation.ID, 3*time.Minute)
}

// destroyByHand powers off and deletes a VM of the cluster behind Clusterwright's back.
func destroyByHand(t *testing.T, env *apptest.Env, clusterID, name string) {
	t.Helper()
	ctx := context.Background()
	u := env.VCenter.URL()
	u.User = apptest.URLUser(env)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(ctx)
	for _, info := range apptest.ClusterVMs(t, env, clusterID) {
		if info.Name != name {
			continue
		}
		vm := object.NewVirtualMachine(c.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: info.Moref})
		if task, err := vm.PowerOff(ctx); err == nil {
			_ = task.Wait(ctx)
		}
		task, err := vm.Destroy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatalf("destroy %s by hand: %v", name, err)
		}
		return
	}
	t.Fatalf("no VM %s", name)
}
