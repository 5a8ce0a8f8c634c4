package kube_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The simulated cluster of the Day-2 tests; 127.47.0.0/16 is this package's.
const (
	day2CP = "127.47.0.10"
	day2W0 = "127.47.0.11"
	day2W1 = "127.47.0.12"
)

// vms is the vSphere inventory the simulated cloud provider consults: the nodes'
// VMs by name.
type vms map[string]node.VM

func (v vms) Instance(uuid, name string) (node.Instance, bool) {
	for _, vm := range v {
		if strings.EqualFold(vm.UUID, uuid) || (uuid == "" && vm.Name == name) {
			return node.Instance{Name: vm.Name, UUID: vm.UUID, NumCPU: vm.NumCPU, MemoryMB: vm.MemoryMB}, true
		}
	}
	vm, ok := v[name]
	return node.Instance{Name: vm.Name, UUID: vm.UUID, NumCPU: vm.NumCPU, MemoryMB: vm.MemoryMB}, ok
}

// day2VMs are the test cluster's VMs.
var day2VMs = vms{}

func init() {
	for _, name := range []string{"drainer-cp-0", "drainer-w-0", "drainer-w-1"} {
		day2VMs[name] = node.VM{Ref: "vm-" + name, Name: name, UUID: "4211" + name, NumCPU: 2, MemoryMB: 4096}
	}
}

// bootNode makes and powers on a simulated node from spec; control planes run the
// simulated vSphere cloud provider.
func bootNode(t *testing.T, spec cloudinit.NodeSpec) *node.Node {
	t.Helper()
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{
		Metadata: md, Userdata: ud,
		VM:      day2VMs[spec.Hostname],
		RootDir: filepath.Join(t.TempDir(), spec.Hostname),
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Cloud:   day2VMs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.PowerOff)
	n.PowerOn()
	return n
}

// activityEnv runs the activities as Temporal runs them: their errors are converted
// as a workflow sees them.
func activityEnv(acts *kube.Activities) *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return env
}

// TestDay2NodeOperations runs the Day-2 node activities against a simulated cluster
// (a control plane and two workers, real API server, controller manager and
// scheduler, simulated kubelets): a join token that a new worker joins with; a
// Deployment of 2 Pods spread over the workers with a PodDisruptionBudget of
// minAvailable 1 drains from one worker, never below 1 ready Pod; a budget that can
// never be met blocks a drain at its timeout naming the budget, and once relaxed the
// drain completes; the drained Node is deleted, and the join token too.
func TestDay2NodeOperations(t *testing.T) {
	version := domain.KubernetesVersions().Default
	if _, err := kubeproc.Binaries(version); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	store := inventorytest.NewStore(t)
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	record, err := store.CreateCluster(ctx, domain.ClusterSpec{Name: "drainer", VCenter: "vc1"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	id := record.ID
	sim, err := nodetest.NewCluster("drainer", version, day2CP)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	bootNode(t, sim.InitNode("drainer-cp-0", day2CP))
	bootNode(t, sim.WorkerNode("drainer-w-0", day2W0))
	cs, err := sim.AdminClient(sim.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, cs, 3*time.Minute, version, "drainer-cp-0", "drainer-w-0"); err != nil {
		t.Fatal(err)
	}
	t.Logf("control plane and a worker Ready after %s", time.Since(began).Round(time.Millisecond))
	admin, err := pki.AdminKubeconfig(sim.Name, "https://"+sim.Endpoint, sim.PKI.CA)
	if err != nil {
		t.Fatal(err)
	}
	tokens := &bootstrap.Source{Store: store}
	acts := &kube.Activities{Clusters: kubeconfigs(admin), Tokens: tokens}

	installCPI(t, ctx, cs)
	if v, err := acts.APIServerVersion(ctx, id); err != nil || v != version {
		t.Fatalf("API server version %q, %v; want %s", v, err, version)
	}

	// A join token: stored, its Secret in the cluster, cluster-info signed with it.
	info := checkCreateJoinToken(t, ctx, acts, cs, tokens, id)
	joinToken, err := tokens.JoinToken(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// A new worker joins with it (the day-0 token is not in its cloud-init).
	sim.Token = joinToken
	began = time.Now()
	bootNode(t, sim.WorkerNode("drainer-w-1", day2W1))
	env := activityEnv(acts)
	val, err := env.ExecuteActivity(acts.WaitNodeVersion, kube.WaitNodeVersionInput{ClusterID: id, Node: "drainer-w-1",
		KubeletVersion: strings.TrimPrefix(version, "v")})
	if err != nil {
		t.Fatalf("the worker that joins with the join token: %v", err)
	}
	var joined kube.NodeState
	if err := val.Get(&joined); err != nil || !joined.Ready || joined.KubeletVersion != version || joined.InternalIP != day2W1 {
		t.Fatalf("joined node %+v (%v)", joined, err)
	}
	t.Logf("a worker joined with join token %s and is Ready after %s", info.ID, time.Since(began).Round(time.Millisecond))
	// The cloud provider initialises the workers: Pods can go there.
	if _, err := acts.WaitNodes(ctx, kube.WaitNodesInput{ClusterID: id, Ready: true, Initialized: true,
		Names: []string{"drainer-w-0", "drainer-w-1"}}); err != nil {
		t.Fatal(err)
	}
	states, err := acts.NodeStates(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range states {
		names = append(names, s.Name)
		if !s.Ready || s.KubeletVersion != version || s.Unschedulable || s.ProviderID == "" {
			t.Errorf("node state %+v", s)
		}
	}
	if !slices.Equal(names, []string{"drainer-cp-0", "drainer-w-0", "drainer-w-1"}) {
		t.Errorf("node states of %v", names)
	}

	checkDrains(t, ctx, acts, cs, id)

	// The drained worker goes; a second delete is no error; it cannot be cordoned.
	w1 := kube.NodeInput{ClusterID: id, Node: "drainer-w-1"}
	for range 2 {
		if err := acts.DeleteNode(ctx, w1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, w1.Node, metav1.GetOptions{}); err == nil {
		t.Error("the deleted Node is still there")
	}
	var app *temporal.ApplicationError
	if err := acts.CordonNode(ctx, w1); !errors.As(err, &app) || app.Type() != kube.ErrTypeNodeNotFound || !app.NonRetryable() {
		t.Errorf("cordon of a deleted node: %v", err)
	}

	// The join token goes from the cluster and the inventory; twice is no error.
	for range 2 {
		if err := acts.DeleteJoinToken(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-"+info.ID, metav1.GetOptions{}); err == nil {
		t.Error("the join token's Secret is still there")
	}
	if _, err := tokens.JoinToken(ctx, id); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("stored join token after delete: %v", err)
	}
	err = nodetest.Eventually(ctx, 30*time.Second, "the bootstrap signer to drop the token's signature", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
		return err == nil && cm.Data["jws-kubeconfig-"+info.ID] == "", err
	})
	if err != nil {
		t.Error(err)
	}
}

// installCPI installs what the simulated vSphere cloud provider waits for: the CPI
// chart's DaemonSet.
func installCPI(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	labels := map[string]string{"k8s-app": "vsphere-cloud-controller-manager"}
	_, err := cs.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "vsphere-cloud-controller-manager"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Tolerations:  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					HostNetwork:  true,
					NodeSelector: map[string]string{"node-role.kubernetes.io/control-plane": ""},
					Containers: []corev1.Container{{
						Name: "vsphere-cloud-controller-manager", Image: "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.35.0",
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// checkCreateJoinToken makes a join token and checks it, and that a second call
// returns the same; the token's secret is in no result.
func checkCreateJoinToken(t *testing.T, ctx context.Context, acts *kube.Activities, cs kubernetes.Interface, tokens kube.JoinTokens, id string) kube.JoinTokenInfo {
	t.Helper()
	began := time.Now()
	info, err := acts.CreateJoinToken(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("join token made and signed in %s", time.Since(began).Round(time.Millisecond))
	tok, err := tokens.JoinToken(ctx, id)
	if err != nil || tok.ID != info.ID {
		t.Fatalf("stored join token %s (%v), want %s", tok.ID, err, info.ID)
	}
	if left := time.Until(info.Expires); left < 119*time.Minute || left > 2*time.Hour {
		t.Errorf("join token expires in %s, want 2h", left)
	}
	s, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-"+info.ID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != "bootstrap.kubernetes.io/token" || string(s.Data["token-secret"]) != tok.Secret ||
		string(s.Data["auth-extra-groups"]) != "system:bootstrappers:kubeadm:default-node-token" {
		t.Errorf("bootstrap token Secret of type %s, groups %q", s.Type, s.Data["auth-extra-groups"])
	}
	cm, err := cs.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
	if err != nil || cm.Data["jws-kubeconfig-"+info.ID] == "" {
		t.Fatalf("cluster-info has no signature of the join token (%v)", err)
	}
	again, err := acts.CreateJoinToken(ctx, id)
	if err != nil || again != info {
		t.Errorf("second CreateJoinToken: %+v, %v; want %+v", again, err, info)
	}
	if bytes.Contains([]byte(again.ID+again.Expires.String()), []byte(tok.Secret)) {
		t.Error("the token's secret is in the result")
	}
	return info
}

// checkDrains drains the workers of a Deployment with a PodDisruptionBudget: see
// TestDay2NodeOperations.
func checkDrains(t *testing.T, ctx context.Context, acts *kube.Activities, cs kubernetes.Interface, id string) {
	t.Helper()
	w0 := kube.NodeInput{ClusterID: id, Node: "drainer-w-0"}
	w1 := kube.NodeInput{ClusterID: id, Node: "drainer-w-1"}
	createWeb(t, ctx, cs)
	onNode := waitWeb(t, ctx, cs, "drainer-w-0", "drainer-w-1")
	waitBudget(t, ctx, cs, 1)
	ready := watchReady(t, ctx, cs)
	proxy := daemonSetPod(t, ctx, cs, w0.Node)

	// Drain w-0: its web Pod moves to w-1; the kube-proxy Pod stays.
	began := time.Now()
	res, err := acts.DrainNode(ctx, kube.DrainInput{ClusterID: id, Node: w0.Node, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("w-0 drained in %s, evicted %v", time.Since(began).Round(time.Millisecond), res.Evicted)
	if !slices.Contains(res.Evicted, "default/"+onNode["drainer-w-0"][0]) || slices.ContainsFunc(res.Evicted, isProxy) {
		t.Errorf("evicted from w-0: %v; want its web Pod %s and no kube-proxy Pod", res.Evicted, onNode["drainer-w-0"])
	}
	if p, err := cs.CoreV1().Pods("kube-system").Get(ctx, proxy, metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
		t.Errorf("the DaemonSet Pod %s did not stay (%v)", proxy, err)
	}
	if left := evictablePods(t, ctx, cs, w0.Node); len(left) > 0 {
		t.Errorf("Pods left on the drained node: %v", left)
	}
	onNode = waitWeb(t, ctx, cs, "drainer-w-1", "drainer-w-1")
	res, err = acts.DrainNode(ctx, kube.DrainInput{ClusterID: id, Node: w0.Node, Timeout: time.Minute})
	if err != nil || len(res.Evicted) != 0 {
		t.Errorf("second drain of w-0: %+v, %v", res, err)
	}
	if err := acts.UncordonNode(ctx, w0); err != nil {
		t.Fatal(err)
	}

	// A budget that can never be met: the drain of w-1 fails at its timeout, naming it.
	setBudget(t, ctx, cs, 2)
	waitBudget(t, ctx, cs, 0)
	env := activityEnv(acts)
	began = time.Now()
	_, err = env.ExecuteActivity(acts.DrainNode, kube.DrainInput{ClusterID: id, Node: w1.Node, Timeout: 5 * time.Second})
	took := time.Since(began)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != kube.ErrTypeDrainBlocked || !app.NonRetryable() {
		t.Fatalf("drain against a budget that cannot be met: %v, want a non-retryable %s", err, kube.ErrTypeDrainBlocked)
	}
	t.Logf("blocked drain failed after %s: %v", took.Round(time.Millisecond), app)
	if took < 5*time.Second || took > 15*time.Second {
		t.Errorf("the blocked drain with a 5s timeout took %s", took)
	}
	for _, want := range append([]string{"PodDisruptionBudget default/web", "PodDisruptionBudgets default/web forbid"},
		onNode["drainer-w-1"]...) {
		if !strings.Contains(app.Error(), want) {
			t.Errorf("blocked drain's error does not name %q", want)
		}
	}
	if now := waitWeb(t, ctx, cs, "drainer-w-1", "drainer-w-1"); !slices.Equal(now["drainer-w-1"], onNode["drainer-w-1"]) {
		t.Errorf("web Pods on w-1 after the blocked drain: %v, want %v untouched", now, onNode)
	}

	// Relaxed, the drain completes: one Pod at a time, the second once the first's
	// replacement is ready on w-0.
	setBudget(t, ctx, cs, 1)
	began = time.Now()
	res, err = acts.DrainNode(ctx, kube.DrainInput{ClusterID: id, Node: w1.Node, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("drain after the budget was relaxed: %v", err)
	}
	t.Logf("w-1 drained in %s once the budget was relaxed, evicted %v", time.Since(began).Round(time.Millisecond), res.Evicted)
	for _, name := range onNode["drainer-w-1"] {
		if !slices.Contains(res.Evicted, "default/"+name) {
			t.Errorf("evicted from w-1: %v, want %s among them", res.Evicted, name)
		}
	}
	waitWeb(t, ctx, cs, "drainer-w-0", "drainer-w-0")
	if fewest := ready(); fewest != 1 {
		t.Errorf("ready web Pods fell to %d during the drains; the budget keeps 1 (and evictions make 1)", fewest)
	}
	st, err := acts.NodeStates(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Unschedulable != (s.Name == w1.Node) {
			t.Errorf("node %s unschedulable: %v", s.Name, s.Unschedulable)
		}
	}
}

// webLabels select the test Deployment's Pods.
var webLabels = map[string]string{"app": "web"}

// createWeb creates a Deployment of 2 Pods spread one per worker, and its budget.
func createWeb(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: webLabels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: webLabels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "web", Image: "registry.k8s.io/pause:3.10"}},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.DoNotSchedule,
						LabelSelector:    &metav1.LabelSelector{MatchLabels: webLabels},
						NodeTaintsPolicy: new(corev1.NodeInclusionPolicyHonor),
					}},
				},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: new(intstr.FromInt32(1)),
			Selector:     &metav1.LabelSelector{MatchLabels: webLabels},
		},
	}
	if _, err := cs.PolicyV1().PodDisruptionBudgets("default").Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setBudget sets the web budget's minAvailable.
func setBudget(t *testing.T, ctx context.Context, cs kubernetes.Interface, minAvailable int32) {
	t.Helper()
	pdbs := cs.PolicyV1().PodDisruptionBudgets("default")
	pdb, err := pdbs.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pdb.Spec.MinAvailable = new(intstr.FromInt32(minAvailable))
	if _, err := pdbs.Update(ctx, pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitBudget waits until the disruption controller has computed the web budget's
// status: its current spec, both Pods healthy, allowed disruptions as given.
func waitBudget(t *testing.T, ctx context.Context, cs kubernetes.Interface, allowed int32) {
	t.Helper()
	err := nodetest.Eventually(ctx, time.Minute, "the web budget's status", func(ctx context.Context) (bool, error) {
		pdb, err := cs.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := pdb.Status
		return s.ObservedGeneration == pdb.Generation && s.CurrentHealthy == 2 && s.DisruptionsAllowed == allowed, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitWeb waits until the 2 web Pods are ready, not being deleted, on the nodes
// given (in any order), and returns their names by node.
func waitWeb(t *testing.T, ctx context.Context, cs kubernetes.Interface, nodeA, nodeB string) map[string][]string {
	t.Helper()
	var byNode map[string][]string
	err := nodetest.Eventually(ctx, 2*time.Minute, "web Pods on "+nodeA+" and "+nodeB, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		byNode = map[string][]string{}
		var nodes []string
		for _, p := range list.Items {
			if !podReady(&p) {
				return false, nil
			}
			byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p.Name)
			nodes = append(nodes, p.Spec.NodeName)
		}
		slices.Sort(nodes)
		for _, names := range byNode {
			slices.Sort(names)
		}
		return slices.Equal(nodes, []string{nodeA, nodeB}), nil
	})
	if err != nil {
		nodes, _ := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		var cidrs []string
		for _, n := range nodes.Items {
			cidrs = append(cidrs, n.Name+"="+n.Spec.PodCIDR)
		}
		t.Fatalf("%v; web Pods by node: %v; pod CIDRs %v; events: %s", err, byNode, cidrs, events(ctx, cs))
	}
	return byNode
}

// events are the default namespace's events, to say why Pods do not come.
func events(ctx context.Context, cs kubernetes.Interface) string {
	list, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range list.Items {
		b.WriteString("\n  " + e.InvolvedObject.Kind + " " + e.InvolvedObject.Name + ": " + e.Reason + ": " + e.Message)
	}
	return b.String()
}

// podReady: Ready and not being deleted.
func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// watchReady watches the web Pods from now on and returns a function that gives the
// fewest ready ones seen.
func watchReady(t *testing.T, ctx context.Context, cs kubernetes.Interface) func() int {
	t.Helper()
	pods := cs.CoreV1().Pods("default")
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := pods.Watch(ctx, metav1.ListOptions{LabelSelector: "app=web", ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	var mu sync.Mutex
	ready := map[string]bool{}
	for _, p := range list.Items {
		ready[p.Name] = podReady(&p)
	}
	count := func() int {
		n := 0
		for _, r := range ready {
			if r {
				n++
			}
		}
		return n
	}
	fewest := count()
	go func() {
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			mu.Lock()
			if ev.Type == watch.Deleted {
				delete(ready, p.Name)
			} else {
				ready[p.Name] = podReady(p)
			}
			fewest = min(fewest, count())
			mu.Unlock()
		}
	}()
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return fewest
	}
}

// daemonSetPod waits for the kube-proxy Pod on node and returns its name.
func daemonSetPod(t *testing.T, ctx context.Context, cs kubernetes.Interface, node string) string {
	t.Helper()
	var name string
	err := nodetest.Eventually(ctx, time.Minute, "a kube-proxy Pod on "+node, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-proxy",
			FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
		if err != nil || len(list.Items) == 0 {
			return false, err
		}
		name = list.Items[0].Name
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func isProxy(key string) bool { return strings.HasPrefix(key, "kube-system/kube-proxy-") }

// evictablePods lists the Pods on node that a drain evicts: neither DaemonSet nor
// mirror Pods, nor finished ones.
func evictablePods(t *testing.T, ctx context.Context, cs kubernetes.Interface, node string) []string {
	t.Helper()
	list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		c := metav1.GetControllerOf(&p)
		_, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]
		if (c != nil && c.Kind == "DaemonSet") || mirror || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}
