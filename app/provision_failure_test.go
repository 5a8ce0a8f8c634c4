package app_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"

	"github.com/clusterwright/clusterwright/app/apptest"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestProvisionCloneFaultCompensates fails every clone of the third VM of a provision
// asked to compensate at once: it fails at the workers' step, its compensation deletes
// the VMs that were made and releases every lease and secret, and the cluster ends
// Failed with the reason.
func TestProvisionCloneFaultCompensates(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	faults := sim.NewFaults()
	spec := apptest.ClusterSpec("beta", 1, 2)
	third := domain.PlanNodes(spec)[2].Name
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, VM: third}); err != nil {
		t.Fatal(err)
	}
	env := apptest.StartDatacenter(t, "62", faults)
	op := env.WaitOperationFor(apptest.ProvisionWith(t, env, spec, domain.FailurePolicy{OnFailure: domain.OnFailureCompensate}).ID, apptest.ProvisionTimeout)
	if op.State != domain.OpFailed {
		t.Fatalf("provision = %s, want Failed; steps %+v", op.State, op.Steps)
	}
	states := apptest.StepStates(op)
	if states[workflows.StepCreateWorkers] != domain.StepFailed {
		t.Errorf("step %s = %q; steps %+v", workflows.StepCreateWorkers, states[workflows.StepCreateWorkers], op.Steps)
	}
	for _, s := range []string{workflows.StepCompensateVMs, workflows.StepCompensateAddresses, workflows.StepCompensateSecrets} {
		if states[s] != domain.StepSucceeded {
			t.Errorf("compensation step %s = %q", s, states[s])
		}
	}
	if i := slices.IndexFunc(op.Steps, func(s domain.Step) bool { return s.Name == workflows.StepCreateWorkers }); i < 0 || op.Steps[i].Error == "" {
		t.Errorf("the failed step does not say why: %+v", op.Steps)
	}
	c := apptest.GetCluster(t, env, "beta")
	if c.Phase != domain.PhaseFailed || c.PhaseReason == "" {
		t.Errorf("cluster phase %s (%q), want Failed with a reason", c.Phase, c.PhaseReason)
	}
	apptest.CheckNothingLeft(t, env, c.ID)
	// The failed cluster can be deleted, which frees its name.
	r := env.Do("DELETE", "/api/v1/clusters/beta", env.AdminToken, nil)
	var del struct{ Operation domain.Operation }
	r.JSON(t, &del)
	if op := env.WaitOperationFor(del.Operation.ID, 2*time.Minute); op.State != domain.OpSucceeded {
		t.Fatalf("delete of the failed cluster = %+v", op)
	}
}

// TestProvisionCancelCompensates cancels a provision while its workers are being made:
// the operation ends Canceled and the compensation leaves no VM and no lease.
func TestProvisionCancelCompensates(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, Interceptors: []interceptor.WorkerInterceptor{&slowActivities{delay: 500 * time.Millisecond}}})
	apptest.RegisterLab(t, env, "64")
	op := apptest.StartProvision(t, env, apptest.ClusterSpec("delta", 1, 2))
	deadline := time.Now().Add(apptest.ProvisionTimeout)
	for {
		var cur domain.Operation
		env.Do("GET", "/api/v1/operations/"+op.ID, env.AdminToken, nil).JSON(t, &cur)
		if apptest.StepStates(cur)[workflows.StepCreateWorkers] == domain.StepRunning {
			break
		}
		if cur.State != domain.OpRunning && cur.State != domain.OpPending || time.Now().After(deadline) {
			t.Fatalf("never reached %s: %+v", workflows.StepCreateWorkers, cur)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := env.Do("POST", "/api/v1/operations/"+op.ID+"/cancel", env.AdminToken, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	op = env.WaitOperationFor(op.ID, apptest.ProvisionTimeout)
	if op.State != domain.OpCanceled {
		t.Fatalf("operation = %s, want Canceled; steps %+v", op.State, op.Steps)
	}
	if s := apptest.StepStates(op)[workflows.StepCompensateVMs]; s != domain.StepSucceeded {
		t.Errorf("compensation %s = %q", workflows.StepCompensateVMs, s)
	}
	c := apptest.GetCluster(t, env, "delta")
	if c.Phase != domain.PhaseFailed {
		t.Errorf("phase %s", c.Phase)
	}
	if vms := apptest.ClusterVMs(t, env, c.ID); len(vms) != 0 {
		t.Errorf("VMs left: %+v", vms)
	}
	if n := apptest.LeasesOf(t, env, c.ID); n != 0 {
		t.Errorf("%d leases left", n)
	}
}

// TestProvisionCancelWaitsForRunningSteps cancels a provision while its addresses, then
// (in a second provision) its secrets, are being made: the compensation waits for the
// running step to end, so no lease and no secret outlives it.
func TestProvisionCancelWaitsForRunningSteps(t *testing.T) {
	slow := &slowActivities{only: map[string]time.Duration{"AllocateAddresses": 3 * time.Second, "PrepareBootstrap": 3 * time.Second}}
	env := apptest.StartWith(t, apptest.Options{Interceptors: []interceptor.WorkerInterceptor{slow}})
	apptest.RegisterLab(t, env, "68")
	for i, step := range []string{workflows.StepAllocateAddresses, workflows.StepPrepareBootstrap} {
		spec := apptest.ClusterSpec("zeta"+string(rune('a'+i)), 1, 1)
		op := apptest.StartProvision(t, env, spec)
		for {
			var cur domain.Operation
			env.Do("GET", "/api/v1/operations/"+op.ID, env.AdminToken, nil).JSON(t, &cur)
			if i := slices.IndexFunc(cur.Steps, func(s domain.Step) bool { return s.Name == step }); i >= 0 &&
				cur.Steps[i].State == domain.StepRunning && cur.Steps[i].Attempts > 0 {
				break // the step's activity runs
			}
			if cur.State != domain.OpRunning && cur.State != domain.OpPending {
				t.Fatalf("never reached %s: %+v", step, cur)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r := env.Do("POST", "/api/v1/operations/"+op.ID+"/cancel", env.AdminToken, nil); r.Status != http.StatusAccepted {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		if op = env.WaitOperation(op.ID); op.State != domain.OpCanceled {
			t.Fatalf("%s: operation %s", step, op.State)
		}
		time.Sleep(4 * time.Second) // longer than the slowed activity: a straggler would have written by now
		c := apptest.GetCluster(t, env, spec.Name)
		if n := apptest.LeasesOf(t, env, c.ID); n != 0 {
			t.Errorf("canceled in %s: %d leases left", step, n)
		}
		if names, err := env.App.Store.ClusterSecretNames(context.Background(), c.ID); err != nil || len(names) != 0 {
			t.Errorf("canceled in %s: secrets left: %v %v", step, names, err)
		}
	}
}
