package devenv_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/devenv"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// provisionTimeout bounds a provision or a delete of a small cluster in dev mode.
const provisionTimeout = 10 * time.Minute

// TestDevProvisionsCluster walks the README: in `clusterwright dev`, the README's cluster
// spec (1 control plane, 2 workers, every add-on) is posted with the dev admin token; its
// operation succeeds with the cluster Ready, the kubeconfig from the API reaches an API
// server with 3 Ready nodes, the add-ons came from the dev chart repository, DELETE
// removes it all, and the same cluster can be made again.
func TestDevProvisionsCluster(t *testing.T) {
	spec := readmeClusterSpec(t)
	if _, err := kubeproc.Binaries(domain.KubernetesVersions().Default); err != nil {
		t.Fatalf("the simulated nodes need the control-plane binaries: %v", err)
	}
	start := time.Now()
	dev := startDev(t, stateDir(t))
	defer dev.stop(t)
	t.Logf("dev environment up in %s", time.Since(start).Round(time.Millisecond))
	if mirror := dev.env["CLUSTERWRIGHT_CHART_MIRROR"]; !strings.HasPrefix(mirror, "http://127.0.0.1:") {
		t.Fatalf("CLUSTERWRIGHT_CHART_MIRROR = %q, want the dev chart repository", mirror)
	}
	dev.waitSynced(t, devenv.SimVCenterName)

	var created struct{ Operation domain.Operation }
	if status := dev.call(t, "POST", "/api/v1/clusters", spec, &created); status != http.StatusAccepted {
		t.Fatalf("POST /api/v1/clusters = %d: %+v", status, created)
	}
	start = time.Now()
	op := dev.waitOperation(t, created.Operation.ID, provisionTimeout)
	t.Logf("provision %s in %s", op.State, time.Since(start).Round(time.Millisecond))
	logSteps(t, op)
	if op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}

	var c domain.Cluster
	if status := dev.call(t, "GET", "/api/v1/clusters/dev-east", "", &c); status != http.StatusOK {
		t.Fatalf("GET cluster = %d", status)
	}
	if c.Phase != domain.PhaseReady || len(c.Nodes) != 3 {
		t.Fatalf("cluster phase %s (%s), %d nodes: %+v", c.Phase, c.PhaseReason, len(c.Nodes), c.Nodes)
	}
	for _, n := range c.Nodes {
		if !strings.HasPrefix(n.IP, "127.24.") {
			t.Errorf("node %s has address %s, outside the dev pool %s", n.Name, n.IP, devenv.SimIPPool.CIDR)
		}
	}
	for _, a := range c.Addons {
		if a.Status != "deployed" {
			t.Errorf("add-on %s %s is %s", a.Name, a.ChartVersion, a.Status)
		}
	}
	if len(c.Addons) != 4 {
		t.Errorf("add-ons %+v, want antrea, vsphere-cpi, vsphere-csi and ks-core", c.Addons)
	}

	cs := dev.kubeClient(t, "dev-east")
	checkReadyNodes(t, cs, 3)
	checkDefaultStorageClass(t, cs)
	checkOtherProjectBlind(t, dev, "dev-east")

	var deleted struct{ Operation domain.Operation }
	if status := dev.call(t, "DELETE", "/api/v1/clusters/dev-east", "", &deleted); status != http.StatusAccepted {
		t.Fatalf("DELETE cluster = %d: %+v", status, deleted)
	}
	start = time.Now()
	op = dev.waitOperation(t, deleted.Operation.ID, provisionTimeout)
	t.Logf("delete %s in %s", op.State, time.Since(start).Round(time.Millisecond))
	if op.State != domain.OpSucceeded {
		logSteps(t, op)
		t.Fatalf("delete = %s: %s", op.State, op.Error)
	}
	if status, _ := dev.raw(t, "GET", "/api/v1/clusters/dev-east", ""); status != http.StatusNotFound {
		t.Errorf("GET deleted cluster = %d, want 404", status)
	}
	var pool domain.IPPool
	dev.call(t, "GET", "/api/v1/ippools/"+devenv.SimIPPoolName, "", &pool)
	for _, l := range pool.Leases {
		if l.ClusterID == c.ID {
			t.Errorf("lease %+v left after delete", l)
		}
	}

	// The same cluster again, in the same datacenter: deleting the first one left the
	// template's disk where it was.
	if status := dev.call(t, "POST", "/api/v1/clusters", spec, &created); status != http.StatusAccepted {
		t.Fatalf("POST /api/v1/clusters again = %d: %+v", status, created)
	}
	start = time.Now()
	op = dev.waitOperation(t, created.Operation.ID, provisionTimeout)
	t.Logf("second provision %s in %s", op.State, time.Since(start).Round(time.Millisecond))
	if op.State != domain.OpSucceeded {
		logSteps(t, op)
		t.Fatalf("second provision of dev-east = %s: %s", op.State, op.Error)
	}
	checkReadyNodes(t, dev.kubeClient(t, "dev-east"), 3)
}

// readmeClusterSpec is the cluster spec of the README's walk-through (the heredoc that
// writes dev-east.json), so that the README shows what this test proves.
func readmeClusterSpec(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const open, end = "cat > dev-east.json <<'EOF'\n", "\nEOF\n"
	_, rest, ok := strings.Cut(string(b), open)
	spec, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md has no %q heredoc", strings.TrimSpace(open))
	}
	var parsed domain.ClusterSpec
	if err := json.Unmarshal([]byte(spec), &parsed); err != nil {
		t.Fatalf("README's cluster spec is not JSON: %v", err)
	}
	if parsed.Name != "dev-east" || parsed.ControlPlane.Replicas != 1 || len(parsed.WorkerPools) != 1 || parsed.WorkerPools[0].Replicas != 2 {
		t.Fatalf("README's cluster spec is not dev-east with 1 control plane and 2 workers: %+v", parsed)
	}
	return spec
}

// waitOperation polls an operation until it ends or awaits a decision, failing the test
// after timeout.
func (p *devProcess) waitOperation(t *testing.T, id string, timeout time.Duration) domain.Operation {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var op domain.Operation
		if status := p.call(t, "GET", "/api/v1/operations/"+id, "", &op); status != http.StatusOK {
			t.Fatalf("GET operation %s = %d", id, status)
		}
		if op.State != domain.OpPending && op.State != domain.OpRunning {
			return op
		}
		if time.Now().After(deadline) {
			logSteps(t, op)
			// The dev environment runs in this process: its goroutines show where it waits.
			t.Logf("where the operation waits:\n%s", apptest.WaitingGoroutines())
			t.Fatalf("operation %s still %s after %s", id, op.State, timeout)
		}
		time.Sleep(time.Second)
	}
}

// kubeClient is a clientset from the cluster's admin kubeconfig, read through the dev API.
func (p *devProcess) kubeClient(t *testing.T, cluster string) kubernetes.Interface {
	t.Helper()
	status, kubeconfig := p.raw(t, "GET", "/api/v1/clusters/"+cluster+"/kubeconfig", "")
	if status != http.StatusOK {
		t.Fatalf("GET kubeconfig = %d", status)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatalf("the kubeconfig does not load: %v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkReadyNodes checks that the cluster has n Nodes, each Ready with a vSphere provider ID.
func checkReadyNodes(t *testing.T, cs kubernetes.Interface, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	if len(nodes.Items) != n {
		t.Fatalf("%d nodes, want %d", len(nodes.Items), n)
	}
	for _, node := range nodes.Items {
		ready := slices.ContainsFunc(node.Status.Conditions, func(c corev1.NodeCondition) bool {
			return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		})
		if !ready || !strings.HasPrefix(node.Spec.ProviderID, "vsphere://") {
			t.Errorf("node %s: ready %v, provider ID %q", node.Name, ready, node.Spec.ProviderID)
		}
	}
}

// checkDefaultStorageClass checks for the CSI add-on's default StorageClass.
func checkDefaultStorageClass(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	classes, err := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list storage classes: %v", err)
	}
	for _, sc := range classes.Items {
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" && sc.Provisioner == "csi.vsphere.vmware.com" {
			return
		}
	}
	t.Errorf("no default StorageClass with provisioner csi.vsphere.vmware.com among %d", len(classes.Items))
}

// logSteps logs an operation's steps, to show where time went or what failed.
func logSteps(t *testing.T, op domain.Operation) {
	t.Helper()
	for _, s := range op.Steps {
		took := ""
		if s.StartedAt != nil && s.FinishedAt != nil {
			took = s.FinishedAt.Sub(*s.StartedAt).Round(time.Millisecond).String()
		}
		t.Logf("  step %-28s %-10s attempts %d %s %s", s.Name, s.State, s.Attempts, took, s.Error)
	}
}
