package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/activities/antrea"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// nodeMonitorGrace is kube-controller-manager's --node-monitor-grace-period
// in the simulated control planes: its default (50 s since Kubernetes
// v1.32), as sim/kubeproc passes no such flag.
const nodeMonitorGrace = 50 * time.Second

// TestGatewayFailover is issue 9's "gateways that survive a node" in the
// simulated datacenter: a cluster that is its own ClusterSet leader and
// member has two gateway candidates, workers whose VMs Clusterwright makes
// and keeps on different ESXi hosts with a DRS anti-affinity rule. Cutting
// the power of the active gateway's VM (vSphere's PowerOffVM_Task: the
// kubelet reports nothing) makes the real kube-controller-manager mark its
// Node Unknown after the node-monitor grace period, and the member
// controller moves the Gateway to the other candidate within that grace
// plus 30 s. A guest shutdown of the new active gateway (the kubelet
// reports NotReady itself) moves it back at once.
func TestGatewayFailover(t *testing.T) {
	if _, err := kubeproc.Binaries(dcVersion); err != nil {
		t.Fatal(err)
	}
	const name, cpIP, w0IP, w1IP = "gw", "127.20.44.10", "127.20.44.11", "127.20.44.12"
	cp0, w0, w1 := name+"-cp-0", name+"-w-0", name+"-w-1"
	faults := NewFaults()
	if err := faults.Add(Fault{Kind: KindNodePowerCut, VM: w0}); err != nil {
		t.Fatal(err)
	}
	dc, err := StartDatacenter(t.Context(), DatacenterOptions{
		VCenter:  VCenterOptions{VMs: -1},
		Faults:   faults,
		StateDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		// Multicluster: the real controller's timing (heartbeat 10 s).
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	gc, err := login(t, dc.VCenter(), dc.VCenter().Username, dc.VCenter().Password)
	if err != nil {
		t.Fatal(err)
	}
	vc := gc.Client
	ops := &vsphere.VMOps{}
	c, err := nodetest.NewCluster(name, dcVersion, cpIP)
	if err != nil {
		t.Fatal(err)
	}

	// The cluster: its control plane, Antrea with the leader and member
	// controllers (on the control plane: see checkControllersOn), then
	// two workers, the gateway candidates.
	began := time.Now()
	vms := map[string]vsphere.VMInfo{}
	vms[cp0] = makeNodeVM(t, ops, vc, c, c.InitNode(cp0, cpIP))
	cl := bootLeaderMember(t, c, cpIP)
	vms[w0] = makeNodeVM(t, ops, vc, c, c.WorkerNode(w0, w0IP))
	vms[w1] = makeNodeVM(t, ops, vc, c, c.WorkerNode(w1, w1IP))
	if err := nodetest.WaitReady(t.Context(), cl.kube, 2*time.Minute, dcVersion, w0, w1); err != nil {
		t.Fatal(err)
	}
	checkControllersOn(t, cl, cp0)
	t.Logf("cluster of 3 nodes with Antrea and both multi-cluster controllers in %s", time.Since(began).Round(time.Millisecond))

	t.Run("candidates apart, DRS rule", func(t *testing.T) {
		group := vsphere.VMGroup{
			ClusterID: name, Placement: simPlacement(),
			VMs: []vsphere.VMID{{Moref: vms[w0].Moref}, {Moref: vms[w1].Moref}},
		}
		// Both candidates on one host, as a clone may land them.
		host := vmHost(t, vc, vms[w0].Moref)
		relocateVM(t, vc, vms[w1].Moref, host)
		apart, err := ops.EnsureApart(t.Context(), vc, group)
		if err != nil {
			t.Fatal(err)
		}
		rule, err := ops.EnsureAntiAffinityRule(t.Context(), vc, vsphere.AntiAffinityRule{VMGroup: group, Name: vsphere.GatewayRuleName(name)})
		if err != nil {
			t.Fatal(err)
		}
		// What govmomi shows: the rule and the hosts.
		h0, h1 := vmHost(t, vc, vms[w0].Moref), vmHost(t, vc, vms[w1].Moref)
		if h0 == h1 || !slices.Equal(apart.Moved, []string{w1}) {
			t.Errorf("candidates on %s and %s, moved %v", h0.Value, h1.Value, apart.Moved)
		}
		if got := antiAffinityVMs(t, vc, vsphere.GatewayRuleName(name)); !slices.Equal(got, sorted(vms[w0].Moref, vms[w1].Moref)) {
			t.Errorf("rule %s holds %v", vsphere.GatewayRuleName(name), got)
		}
		t.Logf("gateway candidates on hosts %+v; rule %+v", apart.Hosts, rule)
	})

	joinOwnClusterSet(t, cl, cpIP, w0, w1)
	waitFor(t, 2*time.Minute, "Gateway "+w0, func(ctx context.Context) (bool, error) {
		gws, err := gatewayNames(ctx, cl)
		return slices.Equal(gws, []string{w0}), fmt.Errorf("Gateways %v (%v)", gws, err)
	})
	waitForExportedGateway(t, cl, w0IP)

	t.Run("power cut of the active gateway", func(t *testing.T) {
		began := time.Now()
		powerOffVM(t, vc, vms[w0].Moref)
		notReady := waitNodeNotReady(t, cl, w0, nodeMonitorGrace+30*time.Second)
		lost := time.Since(began)
		waitFor(t, nodeMonitorGrace+30*time.Second-lost, "Gateway moved to "+w1, func(ctx context.Context) (bool, error) {
			gws, err := gatewayNames(ctx, cl)
			return slices.Equal(gws, []string{w1}), fmt.Errorf("Gateways %v (%v)", gws, err)
		})
		moved := time.Since(began)
		waitForExportedGateway(t, cl, w1IP)
		// Cut, not shut down: the kubelet said nothing, the controller
		// manager's node lifecycle controller did.
		if notReady.Status != corev1.ConditionUnknown || notReady.Reason != "NodeStatusUnknown" {
			t.Errorf("Ready condition of %s: %s %s (%s), want Unknown NodeStatusUnknown", w0, notReady.Status, notReady.Reason, notReady.Message)
		}
		if limit := nodeMonitorGrace + 30*time.Second; moved > limit {
			t.Errorf("Gateway moved %s after the power cut, more than %s", moved, limit)
		}
		t.Logf("power cut of %s: Node %s after %s (grace %s), Gateway on %s after %s (limit %s)",
			w0, notReady.Status, lost.Round(time.Millisecond), nodeMonitorGrace, w1, moved.Round(time.Millisecond), nodeMonitorGrace+30*time.Second)
	})

	t.Run("guest shutdown of the new active gateway", func(t *testing.T) {
		powerOnVM(t, vc, vms[w0].Moref)
		if err := nodetest.WaitReady(t.Context(), cl.kube, 2*time.Minute, dcVersion, w0); err != nil {
			t.Fatal(err)
		}
		// The active Gateway stays while its Node qualifies.
		time.Sleep(12 * time.Second) // over a heartbeat of the member controller
		if gws, err := gatewayNames(t.Context(), cl); err != nil || !slices.Equal(gws, []string{w1}) {
			t.Fatalf("Gateways %v (%v) once %s is back, want %s still", gws, err, w0, w1)
		}
		began := time.Now()
		powerOffVM(t, vc, vms[w1].Moref) // no fault: the guest shuts down
		notReady := waitNodeNotReady(t, cl, w1, 30*time.Second)
		lost := time.Since(began)
		waitFor(t, 30*time.Second, "Gateway back on "+w0, func(ctx context.Context) (bool, error) {
			gws, err := gatewayNames(ctx, cl)
			return slices.Equal(gws, []string{w0}), fmt.Errorf("Gateways %v (%v)", gws, err)
		})
		if notReady.Status != corev1.ConditionFalse {
			t.Errorf("Ready condition of %s after a guest shutdown: %s %s", w1, notReady.Status, notReady.Reason)
		}
		t.Logf("guest shutdown of %s: Node %s after %s, Gateway on %s after %s",
			w1, notReady.Status, lost.Round(time.Millisecond), w0, time.Since(began).Round(time.Millisecond))
	})

	// A Day-2 operation about to remove the active gateway's node (scale
	// down, replace, drain) first has a replacement candidate annotated and
	// the leaving node's annotation removed, with Clusterwright's activity:
	// the Gateway moves before the node goes.
	t.Run("a leaving node hands its candidacy over", func(t *testing.T) {
		powerOnVM(t, vc, vms[w1].Moref)
		if err := nodetest.WaitReady(t.Context(), cl.kube, 2*time.Minute, dcVersion, w1); err != nil {
			t.Fatal(err)
		}
		acts := &antrea.Activities{Clusters: kubeconfigFile(cl.kubeconfig)}
		began := time.Now()
		got, err := acts.AnnotateGateways(t.Context(), antrea.GatewaysRequest{
			Set: clusterSetName, Cluster: antrea.Cluster{ID: name, Name: name}, Exclude: []string{w0}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{cp0, w1}; !slices.Equal(got.Candidates, want) {
			t.Errorf("candidates with %s leaving = %v, want %v", w0, got.Candidates, want)
		}
		var active string
		waitFor(t, 30*time.Second, "Gateway moved off "+w0, func(ctx context.Context) (bool, error) {
			gws, err := gatewayNames(ctx, cl)
			if len(gws) == 1 && slices.Contains(got.Candidates, gws[0]) {
				active = gws[0]
				return true, nil
			}
			return false, fmt.Errorf("Gateways %v (%v), want one of %v", gws, err, got.Candidates)
		})
		n, err := cl.kube.CoreV1().Nodes().Get(t.Context(), w0, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := n.Annotations[antrea.GatewayAnnotation]; ok {
			t.Errorf("leaving Node %s still annotated %s=%s", w0, antrea.GatewayAnnotation, v)
		}
		t.Logf("%s leaving: candidates %v, Gateway on %s after %s", w0, got.Candidates, active, time.Since(began).Round(time.Millisecond))
	})
}

// kubeconfigFile gives the antrea activities a cluster's admin kubeconfig
// from a file, whatever cluster they ask for.
type kubeconfigFile string

func (f kubeconfigFile) AdminKubeconfig(context.Context, string) ([]byte, error) {
	return os.ReadFile(string(f))
}

func (f kubeconfigFile) ControlPlaneEndpoint(context.Context, string) (string, error) {
	return "", errors.New("no endpoint: only the gateway activities use this access")
}

// simPlacement is the placement of the simulated vCenter's defaults.
func simPlacement() domain.Placement {
	return domain.Placement{
		Datacenter: DefaultDatacenter, ComputeCluster: DefaultCluster,
		Datastore: DefaultDatastore, Network: DefaultNetwork, Template: DefaultTemplate,
	}
}

// makeNodeVM makes the VM of a node with Clusterwright's VM code (marked
// for cluster c) and powers it on.
func makeNodeVM(t *testing.T, ops *vsphere.VMOps, vc *vim25.Client, c *nodetest.Cluster, spec cloudinit.NodeSpec) vsphere.VMInfo {
	t.Helper()
	gi, err := c.GuestInfo(spec)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := ops.EnsureVM(t.Context(), vc, vsphere.VMRequest{
		VMSpec: vsphere.VMSpec{
			Placement: simPlacement(), Name: spec.Hostname, ClusterID: c.Name,
			CPUs: TemplateCPUs, MemoryMiB: TemplateMemoryMiB, DiskGiB: TemplateDiskGiB,
		},
		GuestInfo: gi,
	})
	if err != nil {
		t.Fatalf("make VM %s: %v", spec.Hostname, err)
	}
	if err := ops.PowerOn(t.Context(), vc, info.Moref, c.Name); err != nil {
		t.Fatalf("power on %s: %v", spec.Hostname, err)
	}
	return info
}

// bootLeaderMember waits for the cluster's first control plane, lets the
// simulated CPI initialise its Node and installs Antrea with the
// Multicluster gate, gateways, and both the leader and the member
// controller, waiting until both are Available.
func bootLeaderMember(t *testing.T, c *nodetest.Cluster, ip string) *mcCluster {
	t.Helper()
	ctx := t.Context()
	cfg, err := c.AdminConfig(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, kube, 2*time.Minute, dcVersion, c.Name+"-cp-0"); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := pki.AdminKubeconfig(c.Name, "https://"+c.Endpoint, c.PKI.CA)
	if err != nil {
		t.Fatal(err)
	}
	cl := &mcCluster{name: c.Name, ip: ip, kube: kube, dyn: dyn, kubeconfig: filepath.Join(t.TempDir(), "admin.conf")}
	if err := os.WriteFile(cl.kubeconfig, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := createCPI(ctx, kube); err != nil {
		t.Fatal(err)
	}
	err = installAntrea(ctx, cl, map[string]any{
		"featureGates": map[string]any{"Multicluster": true},
		"multicluster": map[string]any{
			"enableGateway": true,
			"leader":        map[string]any{"enabled": true},
			"member":        map[string]any{"enabled": true},
			"controller":    map[string]any{"podCIDRs": []any{c.PodSubnet}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{leaderNS, memberNS} {
		waitFor(t, time.Minute, "antrea-mc-controller Available in "+ns, func(ctx context.Context) (bool, error) {
			d, err := kube.AppsV1().Deployments(ns).Get(ctx, "antrea-mc-controller", metav1.GetOptions{})
			return err == nil && d.Status.AvailableReplicas == 1, err
		})
	}
	return cl
}

// checkControllersOn checks that the multi-cluster controllers run on the
// node nodeName. A member controller on a gateway candidate would die with
// it, and the Gateway would move only once its Pod has been evicted from the
// lost Node (5 minutes by default) and started elsewhere.
func checkControllersOn(t *testing.T, cl *mcCluster, nodeName string) {
	t.Helper()
	for _, ns := range []string{leaderNS, memberNS} {
		pods, err := cl.kube.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "component=antrea-mc-controller"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods.Items {
			if p.Spec.NodeName != nodeName {
				t.Fatalf("Pod %s/%s runs on %s, want %s", ns, p.Name, p.Spec.NodeName, nodeName)
			}
		}
	}
}

// joinOwnClusterSet makes the cluster the leader of a ClusterSet and its
// only member, as the ClusterSet operation does for a leader, with the
// given gateway candidates.
func joinOwnClusterSet(t *testing.T, cl *mcCluster, ip string, gateways ...string) {
	t.Helper()
	createClusterSet(t, cl, leaderNS, map[string]any{"clusterID": cl.name, "leaders": []any{map[string]any{"clusterID": cl.name}}})
	copyToken(t, cl, memberToken(t, cl, cl.name, true))
	for _, n := range gateways {
		annotateGateway(t, cl, n)
	}
	createClusterSet(t, cl, memberNS, map[string]any{
		"clusterID": cl.name, "namespace": leaderNS,
		"leaders": []any{map[string]any{"clusterID": cl.name, "server": "https://" + ip + ":6443", "secret": "leader-token"}},
	})
	waitFor(t, time.Minute, "member ClusterSet Ready", func(ctx context.Context) (bool, error) {
		return clusterSetReady(ctx, cl, memberNS, 1)
	})
}

// gatewayNames lists the Gateways of the member namespace.
func gatewayNames(ctx context.Context, cl *mcCluster) ([]string, error) {
	list, err := cl.dyn.Resource(mcGateways).Namespace(memberNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range list.Items {
		out = append(out, g.GetName())
	}
	return out, nil
}

// waitForExportedGateway waits until the cluster's ClusterInfo on the leader
// names gatewayIP.
func waitForExportedGateway(t *testing.T, cl *mcCluster, gatewayIP string) {
	t.Helper()
	waitFor(t, 30*time.Second, "ClusterInfo export with gateway "+gatewayIP, func(ctx context.Context) (bool, error) {
		re, err := cl.dyn.Resource(mcExports).Namespace(leaderNS).Get(ctx, cl.name+"-clusterinfo", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		infos, _, _ := unstructured.NestedSlice(re.Object, "spec", "clusterInfo", "gatewayInfos")
		return len(infos) == 1 && infos[0].(map[string]any)["gatewayIP"] == gatewayIP, fmt.Errorf("gatewayInfos %v", infos)
	})
}

// waitNodeNotReady waits until the Node's Ready condition is no longer True
// and returns it.
func waitNodeNotReady(t *testing.T, cl *mcCluster, name string, timeout time.Duration) corev1.NodeCondition {
	t.Helper()
	var ready corev1.NodeCondition
	waitFor(t, timeout, "Node "+name+" not Ready", func(ctx context.Context) (bool, error) {
		n, err := cl.kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready = c
			}
		}
		return ready.Status != corev1.ConditionTrue, fmt.Errorf("Ready %s", ready.Status)
	})
	return ready
}

// vmHost reads the ESXi host a VM runs on.
func vmHost(t *testing.T, c *vim25.Client, moref string) types.ManagedObjectReference {
	t.Helper()
	var vm mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: moref}
	if err := object.NewVirtualMachine(c, ref).Properties(t.Context(), ref, []string{"runtime.host"}, &vm); err != nil {
		t.Fatal(err)
	}
	return *vm.Runtime.Host
}

// relocateVM moves a VM to host.
func relocateVM(t *testing.T, c *vim25.Client, moref string, host types.ManagedObjectReference) {
	t.Helper()
	vm := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: moref})
	task, err := vm.Relocate(t.Context(), types.VirtualMachineRelocateSpec{Host: &host}, types.VirtualMachineMovePriorityDefaultPriority)
	if err == nil {
		err = task.Wait(t.Context())
	}
	if err != nil {
		t.Fatalf("relocate %s: %v", moref, err)
	}
}

// powerOffVM powers a VM off with vSphere's PowerOffVM_Task.
func powerOffVM(t *testing.T, c *vim25.Client, moref string) {
	t.Helper()
	vm := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: moref})
	task, err := vm.PowerOff(t.Context())
	if err == nil {
		err = task.Wait(t.Context())
	}
	if err != nil {
		t.Fatalf("power off %s: %v", moref, err)
	}
}

func powerOnVM(t *testing.T, c *vim25.Client, moref string) {
	t.Helper()
	powerOn(t, object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: moref}))
}

// antiAffinityVMs returns the morefs of the anti-affinity rule named name
// on the default compute cluster, sorted; nil if there is none.
func antiAffinityVMs(t *testing.T, c *vim25.Client, name string) []string {
	t.Helper()
	var cr mo.ClusterComputeResource
	cluster, err := findDefaultCluster(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.Properties(t.Context(), cluster.Reference(), []string{"configurationEx"}, &cr); err != nil {
		t.Fatal(err)
	}
	for _, r := range cr.ConfigurationEx.(*types.ClusterConfigInfoEx).Rule {
		if anti, ok := r.(*types.ClusterAntiAffinityRuleSpec); ok && anti.Name == name {
			var out []string
			for _, ref := range anti.Vm {
				out = append(out, ref.Value)
			}
			return sorted(out...)
		}
	}
	return nil
}

// findDefaultCluster finds the compute cluster DefaultCluster.
func findDefaultCluster(ctx context.Context, c *vim25.Client) (*object.ClusterComputeResource, error) {
	finder := find.NewFinder(c)
	dc, err := finder.Datacenter(ctx, DefaultDatacenter)
	if err != nil {
		return nil, err
	}
	return finder.SetDatacenter(dc).ClusterComputeResource(ctx, DefaultCluster)
}

func sorted(s ...string) []string {
	return slices.Sorted(slices.Values(s))
}
