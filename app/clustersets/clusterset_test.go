// Package clustersets_test runs ClusterSets end to end on the real stack: Postgres, the
// Temporal test server, a worker, the API and a simulated datacenter whose clusters run
// real API servers and the simulated Antrea multi-cluster controllers. It is a package of
// its own so that it runs beside the app package's tests.
package clustersets_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/activities/antrea/antreatest"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// setTimeout bounds one ClusterSet operation.
const setTimeout = 6 * time.Minute

var (
	kubesphereClusters = schema.GroupVersionResource{Group: "cluster.kubesphere.io", Version: "v1alpha1", Resource: "clusters"}
	clusterSets        = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha2", Resource: "clustersets"}
	clusterInfoImports = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "clusterinfoimports"}
)

// lab is the datacenter with the three clusters of the test.
type lab struct {
	env    *apptest.Env
	faults *sim.Faults
	kube   map[string]kubernetes.Interface
	dyn    map[string]dynamic.Interface
}

// TestClusterSetLifecycle provisions three clusters (west without Antrea's Multicluster
// gate, lead a KubeSphere host) and, through the API: refuses sets that name an unknown
// cluster or gateway node, changing nothing on any cluster; forms lead+east+west (west's
// Antrea is upgraded in a step of its own), with every member Ready, its Gateway active
// among two candidates on different ESXi hosts under a DRS anti-affinity rule, each
// member importing the two others' ClusterInfo and registered with lead's KubeSphere;
// refuses a second set of a member and deleting the leader; east leaves (nothing of the
// set is left on it), joins again with its gateways' vMotion refused (the join undoes
// itself: nothing half-joined), joins for real; the clusters are backed up to a
// datastore folder and by a "*" backup schedule (see backups_test.go); west is deleted
// and leaves the set first; the set is disbanded: lead and east are left exactly as
// before the set; a "*" backup schedule paused since before all that never ran.
func TestClusterSetLifecycle(t *testing.T) {
	l := startLab(t)
	before := map[string]snapshot{}
	for _, c := range []string{"lead", "east", "west"} {
		before[c] = l.snapshot(t, c)
	}

	t.Run("refused sets change nothing", func(t *testing.T) {
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "cs1", "leader": "lead", "members": []string{"east", "nowhere"}}, "members[1]"},
			{map[string]any{"name": "cs1", "leader": "lead", "members": []string{"east"}, "gateways": map[string]any{"east": "east-no-such-node"}}, "gateways.east"},
		} {
			r := l.env.Do("POST", "/api/v1/clustersets", l.env.AdminToken, c.body)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"`+c.field+`"`) {
				t.Errorf("POST %v = %d %s, want 422 naming %s", c.body, r.Status, r.Body, c.field)
			}
		}
		if r := l.env.Do("GET", "/api/v1/clustersets/cs1", l.env.AdminToken, nil); r.Status != http.StatusNotFound {
			t.Errorf("GET refused set = %d", r.Status)
		}
		for c, snap := range before {
			if diff := l.snapshot(t, c).Diff(snap); len(diff) > 0 {
				t.Errorf("%s changed by a refused set:\n%s", c, strings.Join(diff, "\n"))
			}
		}
	})

	t.Run("form", func(t *testing.T) {
		op := l.start(t, "POST", "/api/v1/clustersets", map[string]any{"name": "cs1", "leader": "lead", "members": []string{"east", "west"}})
		op = l.env.WaitOperationEnd(op.ID, setTimeout)
		if op.State != domain.OpSucceeded {
			t.Fatalf("form = %s: %s; steps %+v", op.State, op.Error, apptest.StepStates(op))
		}
		steps := apptest.StepStates(op)
		if steps[workflows.StepEnableMulticluster+"-west"] != domain.StepSucceeded || steps[workflows.StepEnableMulticluster+"-east"] != "" {
			t.Errorf("Antrea upgraded where it lacked the Multicluster gate only? steps %v", steps)
		}
		l.checkReadySet(t, "lead", "east", "west")
		if c := apptest.GetCluster(t, l.env, "east"); c.ClusterSet == nil || c.ClusterSet.Name != "cs1" || c.ClusterSet.Leader {
			t.Errorf("east's clusterset = %+v", c.ClusterSet)
		}
		if c := apptest.GetCluster(t, l.env, "lead"); c.ClusterSet == nil || !c.ClusterSet.Leader {
			t.Errorf("lead's clusterset = %+v", c.ClusterSet)
		}
		logSteps(t, op)
		if got := l.kubesphereMembers(t); !slices.Equal(got, []string{"east", "west"}) {
			t.Errorf("KubeSphere Clusters on the leader = %v, want east and west", got)
		}
		l.env.CheckReplay("clusterset-form", op)
	})

	t.Run("a cluster in a set joins no other", func(t *testing.T) {
		r := l.env.Do("POST", "/api/v1/clustersets", l.env.AdminToken, map[string]any{"name": "cs2", "leader": "east"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"leader"`) || !strings.Contains(string(r.Body), "cs1") {
			t.Errorf("a set led by a member of cs1 = %d %s, want 422 on leader naming cs1", r.Status, r.Body)
		}
	})

	t.Run("the leader of a set with members is not deleted", func(t *testing.T) {
		r := l.env.Do("DELETE", "/api/v1/clusters/lead", l.env.AdminToken, nil)
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "cs1") {
			t.Errorf("DELETE leader = %d %s, want 409 naming the set", r.Status, r.Body)
		}
	})

	t.Run("leave", func(t *testing.T) {
		op := l.start(t, "DELETE", "/api/v1/clustersets/cs1/members/east", nil)
		if op = l.env.WaitOperationEnd(op.ID, setTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("leave = %s: %s", op.State, op.Error)
		}
		l.sameAs(t, "east", before["east"])
		if names := l.memberNames(t); !slices.Equal(names, []string{"lead", "west"}) {
			t.Errorf("members after the leave: %v", names)
		}
		if got := l.kubesphereMembers(t); !slices.Equal(got, []string{"west"}) {
			t.Errorf("KubeSphere Clusters on the leader after east left = %v", got)
		}
		l.checkNoRule(t, "east")
	})

	t.Run("a failed join leaves nothing half-joined", func(t *testing.T) {
		l.sameHost(t, "east-default-0", "east-default-1")
		if err := l.faults.Add(sim.Fault{Kind: sim.KindVSphereRelocate, VM: "east-default-1"}); err != nil {
			t.Fatal(err)
		}
		op := l.start(t, "POST", "/api/v1/clustersets/cs1/members", map[string]any{"cluster": "east", "on_failure": "compensate"})
		op = l.env.WaitOperationEnd(op.ID, setTimeout)
		if op.State != domain.OpFailed || apptest.StepStates(op)[workflows.StepGatewaysApart+"-east"] != domain.StepFailed ||
			apptest.StepStates(op)[workflows.StepCompensateLeave+"-east"] != domain.StepSucceeded {
			t.Fatalf("join with its vMotion refused = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		l.sameAs(t, "east", before["east"])
		if names := l.memberNames(t); !slices.Equal(names, []string{"lead", "west"}) {
			t.Errorf("members after the failed join: %v", names)
		}
		l.faults.Reset()
	})

	t.Run("join", func(t *testing.T) {
		op := l.start(t, "POST", "/api/v1/clustersets/cs1/members", map[string]any{"cluster": "east"})
		if op = l.env.WaitOperationEnd(op.ID, setTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("join = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		l.checkReadySet(t, "lead", "east", "west")
	})

	t.Run("backups to a datastore folder", l.checkVSphereBackups)
	var paused pausedSchedule // checked at the end, once it was due
	t.Run("a * backup schedule backs up every Ready cluster", func(t *testing.T) {
		paused = l.createPausedSchedule(t)
		l.checkBackupSchedule(t)
	})

	t.Run("a member deleted leaves the set first", func(t *testing.T) {
		west := apptest.GetCluster(t, l.env, "west")
		op := l.start(t, "DELETE", "/api/v1/clusters/west", nil)
		op = l.env.WaitOperationEnd(op.ID, setTimeout)
		if op.State != domain.OpSucceeded || apptest.StepStates(op)[workflows.StepLeaveClusterSet] != domain.StepSucceeded {
			t.Fatalf("delete of west = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		if names := l.memberNames(t); !slices.Equal(names, []string{"east", "lead"}) {
			t.Errorf("members after west was deleted: %v", names)
		}
		if got := l.kubesphereMembers(t); !slices.Equal(got, []string{"east"}) {
			t.Errorf("KubeSphere Clusters on the leader after west was deleted = %v", got)
		}
		l.checkNoRule(t, "west")
		apptest.CheckNothingLeft(t, l.env, west.ID)
		delete(before, "west")
	})

	t.Run("disband", func(t *testing.T) {
		op := l.start(t, "DELETE", "/api/v1/clustersets/cs1", nil)
		if op = l.env.WaitOperationEnd(op.ID, setTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("disband = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		if r := l.env.Do("GET", "/api/v1/clustersets/cs1", l.env.AdminToken, nil); r.Status != http.StatusNotFound {
			t.Errorf("GET disbanded set = %d", r.Status)
		}
		for c, snap := range before {
			l.sameAs(t, c, snap)
			l.checkNoRule(t, c)
		}
		if got := l.kubesphereMembers(t); len(got) != 0 {
			t.Errorf("KubeSphere Clusters on the leader after the disband = %v", got)
		}
		l.env.CheckReplay("clusterset-disband", op)
	})

	t.Run("a cluster provisioned as a KubeSphere member registers with its host", func(t *testing.T) {
		member := func(host string) domain.ClusterSpec {
			spec := apptest.ClusterSpec("south", 1, 0)
			spec.Network.PodCIDR, spec.Network.ServiceCIDR = "10.13.0.0/16", "10.99.0.0/16"
			spec.Addons.KubeSphere = &domain.KubeSphereSpec{Enabled: true, Role: domain.KubeSphereMember, Host: host}
			return spec
		}
		for host, want := range map[string]string{"east": "not a KubeSphere host", "nowhere": "does not exist"} {
			r := l.env.Do("POST", "/api/v1/clusters", l.env.AdminToken, member(host))
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "addons.kubesphere.host") || !strings.Contains(string(r.Body), want) {
				t.Errorf("a member of %s: %d %s, want 422 at addons.kubesphere.host saying %q", host, r.Status, r.Body, want)
			}
		}
		op := apptest.StartProvision(t, l.env, member("lead"))
		if op = l.env.WaitOperationEnd(op.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("provision of south = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		if got := apptest.StepStates(op)[workflows.StepRegisterKubeSphere]; got != domain.StepSucceeded {
			t.Errorf("step %s = %q", workflows.StepRegisterKubeSphere, got)
		}
		if got := l.kubesphereMembers(t); !slices.Equal(got, []string{"south"}) {
			t.Errorf("KubeSphere Clusters on the host after south's provision = %v", got)
		}
		l.env.CheckReplay("provision-kubesphere-member", op)

		del := l.start(t, "DELETE", "/api/v1/clusters/south", nil)
		if del = l.env.WaitOperationEnd(del.ID, setTimeout); del.State != domain.OpSucceeded {
			t.Fatalf("delete of south = %s: %s; steps %v", del.State, del.Error, apptest.StepStates(del))
		}
		if got := apptest.StepStates(del)[workflows.StepUnregisterKubeSphere]; got != domain.StepSucceeded {
			t.Errorf("step %s = %q", workflows.StepUnregisterKubeSphere, got)
		}
		if got := l.kubesphereMembers(t); len(got) != 0 {
			t.Errorf("KubeSphere Clusters on the host after south's deletion = %v", got)
		}
		apptest.CheckNothingLeft(t, l.env, op.Target.ID)
		l.env.CheckReplay("delete-kubesphere-member", del)
	})

	t.Run("a paused * backup schedule does not run", func(t *testing.T) { l.checkNeverRan(t, paused) })
}

// startLab provisions lead, east and west (one control plane and two workers each,
// disjoint pod and service CIDRs; west's Antrea without the Multicluster gate) at once,
// with the "vsphere" backup target configured on vc1 before vc1 is registered.
func startLab(t *testing.T) *lab {
	t.Helper()
	faults := sim.NewFaults()
	opts := apptest.DecisionDatacenterOptions(faults)
	opts.Config = vsphereBackups
	env := apptest.StartWith(t, opts)
	apptest.RegisterLab(t, env, "81")
	l := &lab{env: env, faults: faults, kube: map[string]kubernetes.Interface{}, dyn: map[string]dynamic.Interface{}}
	var ops []domain.Operation
	for i, name := range []string{"lead", "east", "west"} {
		spec := apptest.ClusterSpec(name, 1, 2) // lead is a KubeSphere host
		if name != "lead" {
			spec.Addons.KubeSphere = nil
		}
		spec.Network.PodCIDR = []string{"10.10.0.0/16", "10.11.0.0/16", "10.12.0.0/16"}[i]
		spec.Network.ServiceCIDR = []string{"10.96.0.0/16", "10.97.0.0/16", "10.98.0.0/16"}[i]
		spec.Addons.Antrea.Multicluster = name != "west"
		ops = append(ops, apptest.StartProvision(t, env, spec))
	}
	for _, op := range ops {
		if op = env.WaitOperationEnd(op.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("provision of %s = %s: %s", op.Target.Name, op.State, op.Error)
		}
	}
	for _, name := range []string{"lead", "east", "west"} {
		r := env.Do("GET", "/api/v1/clusters/"+name+"/kubeconfig", env.AdminToken, nil)
		cfg, err := clientcmd.RESTConfigFromKubeConfig(r.Body)
		if err != nil {
			t.Fatalf("kubeconfig of %s: %v", name, err)
		}
		l.kube[name] = kubernetes.NewForConfigOrDie(cfg)
		l.dyn[name] = dynamic.NewForConfigOrDie(cfg)
	}
	return l
}

// start sends a request that starts a ClusterSet operation and returns the operation.
func (l *lab) start(t *testing.T, method, path string, body any) domain.Operation {
	t.Helper()
	r := l.env.Do(method, path, l.env.AdminToken, body)
	if r.Status != http.StatusAccepted {
		t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation
}

// set reads the set through the API.
func (l *lab) set(t *testing.T) domain.ClusterSet {
	t.Helper()
	var s domain.ClusterSet
	r := l.env.Do("GET", "/api/v1/clustersets/cs1", l.env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET clusterset: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &s)
	return s
}

func (l *lab) memberNames(t *testing.T) []string {
	var names []string
	for _, m := range l.set(t).Members {
		names = append(names, m.Cluster)
	}
	sort.Strings(names)
	return names
}

// checkReadySet checks the set as the API records it and as the clusters show it: every
// member Ready with an active Gateway among two candidates on different hosts under a
// DRS rule, importing every other member's ClusterInfo; the leader counts them all.
func (l *lab) checkReadySet(t *testing.T, members ...string) {
	t.Helper()
	s := l.set(t)
	if s.Phase != domain.ClusterSetReady || len(s.Members) != len(members) {
		t.Fatalf("set = %s (%s), members %+v", s.Phase, s.PhaseReason, s.Members)
	}
	for _, m := range s.Members {
		var peers []string
		for _, p := range members {
			if p != m.Cluster {
				peers = append(peers, p)
			}
		}
		imports := slices.Clone(m.Imports)
		sort.Strings(imports)
		sort.Strings(peers)
		if !m.Ready || m.State != domain.MemberJoined || len(m.Gateway.Candidates) != 2 ||
			!slices.Contains(m.Gateway.Candidates, m.Gateway.Active) || !slices.Equal(imports, peers) {
			t.Errorf("member %+v", m)
		}
		infos, err := l.dyn[m.Cluster].Resource(clusterInfoImports).Namespace("kube-system").List(context.Background(), metav1.ListOptions{})
		if err != nil || len(infos.Items) != len(peers) {
			t.Errorf("%s's ClusterInfoImports: %v, %v", m.Cluster, infos, err)
		}
		l.checkRule(t, m.Cluster, m.Gateway.Candidates)
	}
	cs, err := l.dyn["lead"].Resource(clusterSets).Namespace("antrea-multicluster").Get(context.Background(), "cs1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the leader's ClusterSet: %v", err)
	}
	if ready, _, _ := unstructuredInt(cs.Object, "status", "readyClusters"); ready != int64(len(members)) {
		t.Errorf("the leader counts %d ready clusters, want %d", ready, len(members))
	}
}

func unstructuredInt(obj map[string]any, path ...string) (int64, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0, false, nil
		}
		cur = m[p]
	}
	switch v := cur.(type) {
	case int64:
		return v, true, nil
	case float64:
		return int64(v), true, nil
	}
	return 0, false, nil
}

// vc logs in to the simulated vCenter.
func (l *lab) vc(t *testing.T) *govmomi.Client {
	t.Helper()
	u := l.env.VCenter.URL()
	u.User = apptest.URLUser(l.env)
	c, err := govmomi.NewClient(context.Background(), u, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

// rules returns the DRS rules of the simulated compute cluster by name.
func (l *lab) rules(t *testing.T, c *govmomi.Client) map[string]*types.ClusterAntiAffinityRuleSpec {
	t.Helper()
	ctx := context.Background()
	cc, err := find.NewFinder(c.Client).ClusterComputeResource(ctx, "/DC0/host/DC0_C0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cc.Configuration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*types.ClusterAntiAffinityRuleSpec{}
	for _, r := range cfg.Rule {
		if a, ok := r.(*types.ClusterAntiAffinityRuleSpec); ok {
			out[a.Name] = a
		}
	}
	return out
}

// checkRule checks the DRS rule keeping a member's gateway candidates apart, and that
// their VMs are on different hosts.
func (l *lab) checkRule(t *testing.T, cluster string, candidates []string) {
	t.Helper()
	c := l.vc(t)
	rule := l.rules(t, c)[vsphere.GatewayRuleName(cluster)]
	if rule == nil || len(rule.Vm) != len(candidates) {
		t.Errorf("DRS rule of %s's gateways = %+v, want one over %v", cluster, rule, candidates)
		return
	}
	var vms []mo.VirtualMachine
	if err := property.DefaultCollector(c.Client).Retrieve(context.Background(), rule.Vm, []string{"name", "runtime.host"}, &vms); err != nil {
		t.Fatal(err)
	}
	hosts := map[string]string{}
	for _, vm := range vms {
		if other, ok := hosts[vm.Runtime.Host.Value]; ok {
			t.Errorf("%s and %s, gateway candidates of %s, share host %s", vm.Name, other, cluster, vm.Runtime.Host.Value)
		}
		hosts[vm.Runtime.Host.Value] = vm.Name
	}
}

func (l *lab) checkNoRule(t *testing.T, cluster string) {
	t.Helper()
	if rule := l.rules(t, l.vc(t))[vsphere.GatewayRuleName(cluster)]; rule != nil {
		t.Errorf("DRS rule of %s left: %+v", cluster, rule)
	}
}

// sameHost moves the VMs named onto the first one's host, as DRS might have placed them.
func (l *lab) sameHost(t *testing.T, first string, others ...string) {
	t.Helper()
	ctx := context.Background()
	c := l.vc(t)
	finder := find.NewFinder(c.Client)
	vm0, err := finder.VirtualMachine(ctx, "/DC0/vm/"+first)
	if err != nil {
		t.Fatal(err)
	}
	host, err := vm0.HostSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := host.Reference()
	for _, name := range others {
		vm, err := finder.VirtualMachine(ctx, "/DC0/vm/"+name)
		if err != nil {
			t.Fatal(err)
		}
		task, err := vm.Relocate(ctx, types.VirtualMachineRelocateSpec{Host: &ref}, types.VirtualMachineMovePriorityDefaultPriority)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatalf("move %s to %s: %v", name, object.NewHostSystem(c.Client, ref).Name(), err)
		}
	}
}

// snapshot is what a ClusterSet may touch on a cluster (antreatest.Snapshot).
type snapshot = antreatest.Snapshot

// snapshot records a cluster's objects a ClusterSet may touch. Objects a leave or
// disband deletes may take a moment to go (garbage collection, a namespace's
// finalizers), so callers that compare use sameAs.
func (l *lab) snapshot(t *testing.T, cluster string) snapshot {
	t.Helper()
	s, err := antreatest.Take(context.Background(), l.dyn[cluster])
	if err != nil {
		t.Fatalf("snapshot of %s: %v", cluster, err)
	}
	return s
}

// sameAs checks, for up to 30 s, that a cluster's objects are as in before.
func (l *lab) sameAs(t *testing.T, cluster string, before snapshot) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		diff := l.snapshot(t, cluster).Diff(before)
		if len(diff) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s is not as before the set:\n%s", cluster, strings.Join(diff, "\n"))
			return
		}
		time.Sleep(time.Second)
	}
}

// logSteps logs how long each step of an operation took, and the total.
func logSteps(t *testing.T, op domain.Operation) {
	t.Helper()
	var b strings.Builder
	for _, s := range op.Steps {
		if s.StartedAt != nil && s.FinishedAt != nil {
			fmt.Fprintf(&b, "\n  %-32s %6.1fs", s.Name, s.FinishedAt.Sub(*s.StartedAt).Seconds())
		}
	}
	if op.FinishedAt != nil {
		fmt.Fprintf(&b, "\n  %-32s %6.1fs", "total", op.FinishedAt.Sub(op.CreatedAt).Seconds())
	}
	t.Logf("%s steps:%s", op.Kind, b.String())
}

// kubesphereMembers lists the member clusters registered with the leader's KubeSphere by
// Clusterwright.
func (l *lab) kubesphereMembers(t *testing.T) []string {
	t.Helper()
	list, err := l.dyn["lead"].Resource(kubesphereClusters).List(context.Background(),
		metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=clusterwright"})
	if err != nil {
		t.Fatalf("KubeSphere Clusters on the leader: %v", err)
	}
	var names []string
	for _, c := range list.Items {
		names = append(names, c.GetName())
	}
	sort.Strings(names)
	return names
}
