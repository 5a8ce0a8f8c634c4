package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestClusterHealth provisions a one-control-plane, one-worker cluster and runs the
// default cluster-health schedule, created at start, against what happens behind the
// service's back: healthy, the cluster stays Ready; the worker off, Degraded, and on
// again, Ready; the worker's VM destroyed in
// vCenter, it turns Degraded naming the node; the control plane powered off, it turns
// Unreachable; powered on again, Degraded (the worker is still gone). A worker powered
// off and on again shows Degraded, then Ready; an add-on's Helm release removed by hand,
// Degraded naming the add-on. No health run
// creates an operation.
func TestClusterHealth(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartWith(t, apptest.Options{Datacenter: true,
		Config: func(c *app.Config) { c.HealthInterval = "1h" }}) // runs only when triggered here
	apptest.RegisterLab(t, env, "73")
	ctx := context.Background()
	spec := apptest.ClusterSpec("hl", 1, 1)
	spec.Addons.KubeSphere = nil
	if op := env.WaitOperationFor(apptest.StartProvision(t, env, spec).ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	c := apptest.GetCluster(t, env, "hl")
	var cp, worker string
	for _, n := range c.Nodes {
		if n.Role == "worker" {
			worker = n.Name
		} else {
			cp = n.Name
		}
	}
	if cp == "" || worker == "" {
		t.Fatalf("nodes %+v", c.Nodes)
	}

	// The default schedule: created at start, once.
	env.App.ReconcileSchedules(ctx)
	env.App.ReconcileSchedules(ctx)
	list, _, err := env.App.Store.ListSchedules(ctx, inventory.ScheduleFilter{Kind: domain.ScheduleClusterHealth}, inventory.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("cluster-health schedules: %+v, %v", list, err)
	}
	sc := list[0]
	if sc.Cluster != domain.AllClusters || sc.Every != "1h0m0s" || sc.CreatedBy != app.HealthScheduleCreator || sc.Paused {
		t.Fatalf("default cluster-health schedule %+v", sc)
	}

	// Healthy: Ready, one succeeded.
	run := apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	if run.Counts != (domain.RunCounts{Succeeded: 1}) || run.Outcome != domain.RunSucceeded || len(run.Operations) != 0 {
		t.Fatalf("healthy run = %+v", run)
	}
	wantPhase(t, env, domain.PhaseReady, "")
	handle := env.App.Temporal.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(sc.ID))
	desc, err := handle.Describe(ctx)
	if err != nil || len(desc.Info.RecentActions) == 0 {
		t.Fatalf("the schedule's recent actions: %+v, %v", desc, err)
	}
	wf := desc.Info.RecentActions[len(desc.Info.RecentActions)-1].StartWorkflowResult
	env.CheckReplay("scheduled-run-health", domain.Operation{ID: wf.WorkflowID, WorkflowID: wf.WorkflowID, RunID: wf.FirstExecutionRunID})

	// The worker's VM powered off by hand: Degraded; powered on again: Ready.
	powerByHand(t, env, c.ID, worker, false)
	run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	if run.Counts != (domain.RunCounts{Failed: 1}) || !strings.Contains(run.Targets[0].Reason, "VM "+worker+" powered off") {
		t.Fatalf("run after the worker was powered off = %+v", run)
	}
	wantPhase(t, env, domain.PhaseDegraded, "VM "+worker+" powered off")
	powerByHand(t, env, c.ID, worker, true)
	waitNodeReady(t, env, "hl", worker)
	run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	if run.Counts != (domain.RunCounts{Succeeded: 1}) {
		t.Fatalf("run after the worker was powered on = %+v", run)
	}
	wantPhase(t, env, domain.PhaseReady, "")

	// The vsphere-csi release removed behind the service's back (Helm's records of it
	// deleted): Degraded naming the add-on, though the inventory still records it
	// deployed; the records put back: Ready.
	hideRelease(t, env, "vmware-system-csi", "vsphere-csi", func() {
		run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
		wantPhase(t, env, domain.PhaseDegraded, "add-on vsphere-csi: release missing")
	})
	run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	wantPhase(t, env, domain.PhaseReady, "")

	// The worker's VM destroyed by hand: Degraded, naming the node.
	destroyByHand(t, env, c.ID, worker)
	run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	wantMissing := "node " + worker + ": VM missing"
	if run.Counts != (domain.RunCounts{Failed: 1}) || run.Outcome != domain.RunFailed ||
		!strings.Contains(run.Targets[0].Reason, wantMissing) {
		t.Fatalf("run after the worker's VM was destroyed = %+v", run)
	}
	wantPhase(t, env, domain.PhaseDegraded, wantMissing)

	// The control plane powered off: Unreachable.
	powerByHand(t, env, c.ID, cp, false)
	waitAPIServer(t, env, "hl", false) // the simulator stops the node after the power-off
	run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	if run.Counts != (domain.RunCounts{Failed: 1}) {
		t.Fatalf("run after the control plane was powered off = %+v", run)
	}
	got := wantPhase(t, env, domain.PhaseUnreachable, "VM "+cp+" powered off")
	if !strings.Contains(got.PhaseReason, "API server not answering") || !strings.Contains(got.PhaseReason, wantMissing) {
		t.Errorf("Unreachable because %q", got.PhaseReason)
	}

	// Powered on again, the API server back: Degraded, as the worker is still gone.
	powerByHand(t, env, c.ID, cp, true)
	waitAPIServer(t, env, "hl", true)
	run = apptest.TriggerSchedule(t, env, env.AdminToken, sc.ID)
	if run.Counts != (domain.RunCounts{Failed: 1}) {
		t.Fatalf("run after the control plane came back = %+v", run)
	}
	got = wantPhase(t, env, domain.PhaseDegraded, wantMissing)
	if strings.Contains(got.PhaseReason, cp) {
		t.Errorf("Degraded because %q, naming the mended control plane", got.PhaseReason)
	}

	// Health runs start no operation: the provision is the cluster's only one.
	ops, _, err := env.App.Store.ListOperations(ctx, inventory.OperationFilter{Cluster: "hl"}, inventory.Page{})
	if err != nil || len(ops) != 1 || ops[0].Kind != domain.OpProvisionCluster {
		t.Errorf("the cluster's operations: %+v, %v", ops, err)
	}
}

// hideRelease deletes the Helm records (Secrets) of release in namespace of cluster hl,
// runs while, and creates them again.
func hideRelease(t *testing.T, env *apptest.Env, namespace, release string, while func()) {
	t.Helper()
	ctx := context.Background()
	secrets := apptest.KubeClient(t, env, "hl").CoreV1().Secrets(namespace)
	list, err := secrets.List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + release})
	if err != nil || len(list.Items) == 0 {
		t.Fatalf("the Helm records of %s/%s: %d, %v", namespace, release, len(list.Items), err)
	}
	for _, s := range list.Items {
		if err := secrets.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	while()
	for _, s := range list.Items {
		s.ResourceVersion, s.UID = "", ""
		if _, err := secrets.Create(ctx, &s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// wantPhase checks the cluster hl's phase and that its reason contains reason.
func wantPhase(t *testing.T, env *apptest.Env, phase, reason string) domain.Cluster {
	t.Helper()
	c := apptest.GetCluster(t, env, "hl")
	if c.Phase != phase || !strings.Contains(c.PhaseReason, reason) || (reason == "" && c.PhaseReason != "") {
		t.Fatalf("cluster is %s (%q); want %s (%q)", c.Phase, c.PhaseReason, phase, reason)
	}
	return c
}

// powerByHand powers a VM of the cluster on or off behind Clusterwright's back.
func powerByHand(t *testing.T, env *apptest.Env, clusterID, name string, on bool) {
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
		task, err := vm.PowerOff(ctx)
		if on {
			task, err = vm.PowerOn(ctx)
		}
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatalf("power %s on=%v by hand: %v", name, on, err)
		}
		return
	}
	t.Fatalf("no VM %s", name)
}

// waitAPIServer waits until the cluster's API server answers /readyz (up), or no
// longer does (!up).
func waitAPIServer(t *testing.T, env *apptest.Env, name string, up bool) {
	t.Helper()
	cs := apptest.KubeClient(t, env, name)
	ctx := context.Background()
	for deadline := time.Now().Add(3 * time.Minute); ; {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(rctx)
		cancel()
		if answers := err == nil && string(body) == "ok"; answers == up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server of %s: answering is not %v after 3 minutes (%v)", name, up, err)
		}
		time.Sleep(time.Second)
	}
}

// waitNodeReady waits until the node reports Ready in the cluster.
func waitNodeReady(t *testing.T, env *apptest.Env, cluster, node string) {
	t.Helper()
	cs := apptest.KubeClient(t, env, cluster)
	ctx := context.Background()
	for deadline := time.Now().Add(3 * time.Minute); ; {
		n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err == nil && slices.ContainsFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool {
			return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		}) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s not Ready 3 minutes after power-on: %v", node, err)
		}
		time.Sleep(time.Second)
	}
}
