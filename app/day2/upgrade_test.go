package day2_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// testUpgrade makes a cluster of one control plane and two workers at the older
// supported version and upgrades it to the newer one through the API, while a
// Deployment of two replicas with a PodDisruptionBudget of minAvailable 1 runs (a
// watcher checks that one of its Pods is Ready throughout) and a Deployment whose
// budget can never be met blocks its node's drain: that step waits for a decision, and
// a retry after the budget is relaxed completes the upgrade. The worker process is
// restarted in the middle. Then every node's kubelet and the API server report the new
// version, the inventory records it per node and in the spec, a backup was taken first,
// no VM was added, and the CPI add-on follows the new minor.
func testUpgrade(t *testing.T, l *lab) {
	to := domain.KubernetesVersions().Default
	from := domain.PreviousVersion(to)
	if from == "" {
		t.Fatalf("no supported version below the default %s", to)
	}
	spec := apptest.ClusterSpec("up", 1, 2)
	spec.KubernetesVersion, spec.Placement.Template = from, sim.TemplateName(from)
	spec.Addons.KubeSphere = nil
	c := l.provision(t, spec)
	kc := apptest.KubeClient(t, l.env, "up")
	vmsBefore := vmNames(t, l.env, c.ID)

	// Refused before anything starts: skipping back, a bad timeout.
	r := l.env.Do("POST", "/api/v1/clusters/up/upgrade", l.env.AdminToken, map[string]any{"kubernetes_version": from, "drain_timeout": "soon"})
	if r.Status != 400 && r.Status != 422 || !strings.Contains(string(r.Body), `"kubernetes_version"`) || !strings.Contains(string(r.Body), `"drain_timeout"`) {
		t.Errorf("upgrade to the same version with a bad timeout = %d %s; want 4xx naming both fields", r.Status, r.Body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deploy(t, kc, "web", 2, 1)
	deploy(t, kc, "stuck", 1, 1) // minAvailable 1 of 1: never evictable
	w := watchReady(ctx, kc, "web")

	start := time.Now()
	op := l.start(t, "/api/v1/clusters/up/upgrade", map[string]any{"kubernetes_version": to, "drain_timeout": "15s"})
	l.restartWorkerDuring(t, op.ID, workflows.StepUpgradeNode+"-up-cp-0")

	// The drain of the node running "stuck" waits for a decision.
	op = l.env.WaitOperationFor(op.ID, opTimeout)
	if op.State != domain.OpAwaitingDecision || op.Decision == nil || !strings.HasPrefix(op.Decision.Step, workflows.StepUpgradeNode+"-up-default-") ||
		!strings.Contains(op.Decision.Reason, "stuck") {
		t.Fatalf("upgrade = %s (%s), decision %+v; want AwaitingDecision on a worker's drain naming the budget of stuck; steps %v",
			op.State, op.Error, op.Decision, apptest.StepStates(op))
	}
	if c := apptest.GetCluster(t, l.env, "up"); c.Spec.KubernetesVersion != to || c.Phase != domain.PhaseUpdating {
		t.Errorf("while a worker waits: spec version %s, phase %s; want %s (the control plane's) and Updating", c.Spec.KubernetesVersion, c.Phase, to)
	}
	t.Logf("waiting on %s: %s", op.Decision.Step, op.Decision.Reason)
	relax(t, kc, "stuck")
	if r := l.env.Do("POST", "/api/v1/operations/"+op.ID+"/retry", l.env.AdminToken, nil); r.Status != 200 && r.Status != 202 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	op = l.env.WaitOperationEnd(op.ID, opTimeout)
	wall := time.Since(start)
	if op.State != domain.OpSucceeded {
		t.Fatalf("upgrade = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
	}
	cancel()
	if minReady := w.wait(); minReady < 1 {
		t.Errorf("web had %d Ready Pods at some point of the upgrade; its budget keeps 1", minReady)
	} else {
		t.Logf("web kept at least %d Ready Pod throughout (%d observations, %d lists failed)", minReady, w.seen, w.failed)
	}

	steps := apptest.StepStates(op)
	for _, s := range []string{workflows.StepUpgradePreflight, workflows.StepUpgradeBackup, workflows.StepUpgradeNode + "-up-cp-0",
		workflows.StepRecordVersion, workflows.StepUpgradeAddons, workflows.StepUpgradeNode + "-up-default-0", workflows.StepUpgradeNode + "-up-default-1"} {
		if steps[s] != domain.StepSucceeded {
			t.Errorf("step %s = %q; steps %v", s, steps[s], steps)
		}
	}
	version, err := kc.Discovery().ServerVersion()
	if err != nil || version.GitVersion != to {
		t.Errorf("API server version = %v (%v), want %s", version, err, to)
	}
	nodes, err := kc.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Status.NodeInfo.KubeletVersion != to || n.Spec.Unschedulable {
			t.Errorf("node %s: kubelet %s, unschedulable %v; want %s, schedulable", n.Name, n.Status.NodeInfo.KubeletVersion, n.Spec.Unschedulable, to)
		}
	}
	c = apptest.GetCluster(t, l.env, "up")
	if c.Spec.KubernetesVersion != to || c.Phase != domain.PhaseReady || c.Spec.Placement.Template != sim.TemplateName(to) {
		t.Errorf("cluster after: version %s, template %s, phase %s (%s); want %s, %s, Ready", c.Spec.KubernetesVersion,
			c.Spec.Placement.Template, c.Phase, c.PhaseReason, to, sim.TemplateName(to))
	}
	for _, n := range c.Nodes {
		if n.KubeletVersion != to {
			t.Errorf("inventory: node %s at %s", n.Name, n.KubeletVersion)
		}
	}
	if got := vmNames(t, l.env, c.ID); strings.Join(got, ",") != strings.Join(vmsBefore, ",") {
		t.Errorf("VMs after the upgrade %v, before %v", got, vmsBefore)
	}
	var backups struct{ Items []domain.Backup }
	l.env.Do("GET", "/api/v1/clusters/up/backups", l.env.AdminToken, nil).JSON(t, &backups)
	if len(backups.Items) != 1 || backups.Items[0].ID != op.ID || backups.Items[0].KubernetesVersion != from {
		t.Errorf("backups = %+v; want the upgrade's, taken at %s", backups.Items, from)
	}
	wantCPI := domain.KubernetesMinor(to) + ".0" // the cloud provider's chart follows the Kubernetes minor
	for _, a := range c.Addons {
		if a.Name == "vsphere-cpi" && a.ChartVersion != wantCPI {
			t.Errorf("CPI chart %s after the upgrade to %s, want %s", a.ChartVersion, to, wantCPI)
		}
	}
	nodeTime := time.Duration(0)
	for _, s := range op.Steps {
		if strings.HasPrefix(s.Name, workflows.StepUpgradeNode+"-") && s.StartedAt != nil && s.FinishedAt != nil {
			nodeTime += s.FinishedAt.Sub(*s.StartedAt)
		}
	}
	t.Logf("upgrade %s -> %s of 1+2 nodes: %s wall (with a decision and a worker restart), %s in the node steps", from, to,
		wall.Round(100*time.Millisecond), nodeTime.Round(100*time.Millisecond))
	stepDurations(t, op)
	l.env.CheckReplay("upgrade", op)

	// Its only control plane replaced: the new one, cloned from the new version's
	// template, joins etcd as the second member, then the first leaves (etcd keeps its
	// quorum of two only if the old member goes before its etcd stops).
	op = l.start(t, "/api/v1/clusters/up/nodes/up-cp-0/replace", nil)
	if op = l.env.WaitOperationEnd(op.ID, opTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("replace of the only control plane = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
	}
	checkEtcd(t, l, "up-cp-1", []string{"up-cp-1"})
	n, err := kc.CoreV1().Nodes().Get(context.Background(), "up-cp-1", metav1.GetOptions{})
	if err != nil || n.Status.NodeInfo.KubeletVersion != to {
		t.Errorf("the new control plane: %v, kubelet %s; want %s", err, n.Status.NodeInfo.KubeletVersion, to)
	}
	if _, err := kc.Discovery().ServerVersion(); err != nil {
		t.Errorf("the API after the only control plane was replaced: %v", err)
	}
}

// deploy runs a Deployment of replicas Pods with a PodDisruptionBudget of minAvailable.
func deploy(t *testing.T, kc kubernetes.Interface, name string, replicas, minAvailable int32) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10"}},
					// Spread over the workers, as a real app would be.
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname",
						WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: &metav1.LabelSelector{MatchLabels: labels}}},
				},
			},
		},
	}
	if _, err := kc.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	min := intstr.FromInt32(minAvailable)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &min, Selector: &metav1.LabelSelector{MatchLabels: labels}},
	}
	if _, err := kc.PolicyV1().PodDisruptionBudgets("default").Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if ready := readyPods(ctx, kc, name); ready == int(replicas) {
			if got, err := kc.PolicyV1().PodDisruptionBudgets("default").Get(ctx, name, metav1.GetOptions{}); err == nil &&
				got.Status.ObservedGeneration == got.Generation && got.Status.CurrentHealthy == replicas {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %s: not %d Ready Pods with its budget observed after 3 minutes", name, replicas)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// relax lets every Pod of name's budget go.
func relax(t *testing.T, kc kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	pdb, err := kc.PolicyV1().PodDisruptionBudgets("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zero := intstr.FromInt32(0)
	pdb.Spec.MinAvailable = &zero
	if _, err := kc.PolicyV1().PodDisruptionBudgets("default").Update(ctx, pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// readyPods counts the Ready Pods of app name.
func readyPods(ctx context.Context, kc kubernetes.Interface, name string) int {
	pods, err := kc.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		return -1
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}

// readyWatch polls an app's Ready Pods every 200 ms and keeps the fewest seen.
type readyWatch struct {
	done   chan struct{}
	mu     sync.Mutex
	min    int
	seen   int
	failed int // lists that failed (the API restarting under an upgrade): not counted as 0 Ready
}

func watchReady(ctx context.Context, kc kubernetes.Interface, name string) *readyWatch {
	w := &readyWatch{done: make(chan struct{}), min: 1 << 30}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			n := readyPods(ctx, kc, name)
			w.mu.Lock()
			if n >= 0 {
				w.min, w.seen = min(w.min, n), w.seen+1
			} else if ctx.Err() == nil {
				w.failed++
			}
			w.mu.Unlock()
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return w
}

// wait stops watching and returns the fewest Ready Pods seen.
func (w *readyWatch) wait() int {
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.min
}
