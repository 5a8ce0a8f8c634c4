package node

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// testVersion is the Kubernetes version of the node tests: the default.
var testVersion = domain.KubernetesVersions().Default

// guestLog records what a node reports to vCenter.
type guestLog struct {
	mu   sync.Mutex
	last GuestInfo
	n    int
}

func (g *guestLog) report(info GuestInfo) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = info
	g.n++
	return nil
}

func (g *guestLog) get() GuestInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// newTestNode renders spec and returns its node, powered off when the test ends.
func newTestNode(t *testing.T, c *nodetest.Cluster, spec cloudinit.NodeSpec, guest *guestLog, die func() bool) *Node {
	t.Helper()
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{
		Metadata: md, Userdata: ud,
		VM:      VM{Ref: "vm-" + spec.Hostname, Name: spec.Hostname, UUID: "4211" + spec.Hostname, NumCPU: 2, MemoryMB: 4096},
		RootDir: filepath.Join(t.TempDir(), spec.Hostname),
		Logger:  slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		Guest:   guest.report,

		ControlPlaneDie: die,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.PowerOff)
	return n
}

// TestInitJoinRestart boots a control plane and a worker from their
// cloud-init, checks what kubeadm left in the cluster and on the node's
// disk, then power-cycles the control plane: it comes back on its own data
// with the same certificates.
func TestInitJoinRestart(t *testing.T) {
	if _, err := kubeproc.Binaries(testVersion); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c, err := nodetest.NewCluster("alpha", testVersion, "127.20.50.10")
	if err != nil {
		t.Fatal(err)
	}
	cpGuest, workerGuest := &guestLog{}, &guestLog{}
	var die atomic.Bool // the controlplane.die fault
	cp := newTestNode(t, c, c.InitNode("alpha-cp-0", "127.20.50.10"), cpGuest, die.Load)
	worker := newTestNode(t, c, c.WorkerNode("alpha-w-0", "127.20.50.11"), workerGuest, nil)
	began := time.Now()
	worker.PowerOn() // discovery retries until the control plane is up
	cp.PowerOn()

	client, err := c.AdminClient(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, client, 2*time.Minute, testVersion, "alpha-cp-0", "alpha-w-0"); err != nil {
		t.Fatalf("%v; control plane %+v, worker %+v", err, cp.Status(), worker.Status())
	}
	t.Logf("2 nodes Ready %s after power-on", time.Since(began).Round(time.Millisecond))
	if g := workerGuest.get(); g.Hostname != "alpha-w-0" || g.IP.Addr().String() != "127.20.50.11" {
		t.Errorf("worker reported guest %+v", g)
	}

	checkKubeadmObjects(t, client, c)
	checkNodes(t, client)
	checkRootFS(t, cp)

	// Power cycle the control plane: its Node goes NotReady at once, and
	// comes back with the certificates it had.
	crt := filepath.Join(cp.RootDir(), "etc/kubernetes/pki/apiserver.crt")
	before, err := os.ReadFile(crt)
	if err != nil {
		t.Fatal(err)
	}
	worker.PowerOff()
	if st := worker.Status(); st.Phase != PhaseOff {
		t.Errorf("worker phase after power-off: %s", st.Phase)
	}
	if g := workerGuest.get(); g != (GuestInfo{}) {
		t.Errorf("guest after power-off: %+v, want none", g)
	}
	node, err := client.CoreV1().Nodes().Get(ctx, "alpha-w-0", metav1.GetOptions{})
	if err != nil || nodetest.NodeReady(node) {
		t.Errorf("worker Node after power-off: ready=%v, %v", err == nil && nodetest.NodeReady(node), err)
	}
	cp.PowerOff()
	cp.PowerOn()
	worker.PowerOn()
	if err := nodetest.WaitReady(ctx, client, 2*time.Minute, testVersion, "alpha-cp-0", "alpha-w-0"); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(crt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("apiserver.crt was issued again at the restart")
	}
	if st := cp.Status(); st.Phase != PhaseRunning || st.Boots != 2 {
		t.Errorf("control plane status %+v, want running after 2 boots", st)
	}
	if _, err := client.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-"+c.Token.ID, metav1.GetOptions{}); err != nil {
		t.Errorf("bootstrap token after restart: %v", err)
	}

	// With the controlplane.die fault, the control plane dies once started.
	die.Store(true)
	cp.PowerOff()
	cp.PowerOn()
	err = nodetest.Eventually(ctx, time.Minute, "control plane up and killed", func(context.Context) (bool, error) {
		return cp.Status().Phase == PhaseRunning && cp.ControlPlane() != nil && cp.ControlPlane().Exited(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err == nil {
		t.Error("the killed API server answers")
	}
}

// checkKubeadmObjects checks the objects kubeadm init creates.
func checkKubeadmObjects(t *testing.T, client kubernetes.Interface, c *nodetest.Cluster) {
	t.Helper()
	ctx := t.Context()
	secret, err := client.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-"+c.Token.ID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if secret.Type != bootstrapTokenType || string(secret.Data["token-secret"]) != c.Token.Secret ||
		string(secret.Data["usage-bootstrap-authentication"]) != "true" || string(secret.Data["auth-extra-groups"]) != bootstrapGroup {
		t.Errorf("bootstrap token secret: type %s, data %v", secret.Type, secret.Data)
	}
	info, err := client.CoreV1().ConfigMaps("kube-public").Get(ctx, clusterInfoConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyDetachedJWS(info.Data[jwsSignaturePrefix+c.Token.ID], info.Data[clusterInfoKubeconfig], c.Token.ID, c.Token.Secret); err != nil {
		t.Errorf("cluster-info signature: %v", err)
	}
	if _, err := client.CoreV1().ConfigMaps("kube-system").Get(ctx, kubeadmConfigMap, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	for _, crb := range []string{"kubeadm:kubelet-bootstrap", "kubeadm:node-autoapprove-bootstrap", "kubeadm:node-autoapprove-certificate-rotation", "kubeadm:get-nodes"} {
		if _, err := client.RbacV1().ClusterRoleBindings().Get(ctx, crb, metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
	}
	if _, err := client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	if svc, err := client.CoreV1().Services("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{}); err != nil || svc.Spec.ClusterIP != "10.96.0.10" {
		t.Errorf("kube-dns Service: %v", err)
	}
	// The worker's CSR was posted with the bootstrap token and approved.
	csrs, err := client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	approved := slices.ContainsFunc(csrs.Items, func(csr certificatesv1.CertificateSigningRequest) bool {
		return csr.Spec.Username == "system:bootstrap:"+c.Token.ID && csr.Spec.SignerName == kubeletClientSigner &&
			slices.ContainsFunc(csr.Status.Conditions, func(cond certificatesv1.CertificateSigningRequestCondition) bool {
				return cond.Type == certificatesv1.CertificateApproved
			}) && len(csr.Status.Certificate) > 0
	})
	if !approved {
		t.Errorf("no approved and signed CSR of the bootstrap token among %d", len(csrs.Items))
	}
}

// checkNodes checks what the kubelets and kubeadm made of the Nodes.
func checkNodes(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	cp, err := client.CoreV1().Nodes().Get(ctx, "alpha-cp-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cp.Labels[labelControlPlane]; !ok || !hasTaint(cp, controlPlaneTaint.Key) || !hasTaint(cp, uninitializedTaint.Key) {
		t.Errorf("control-plane Node: labels %v, taints %v", cp.Labels, cp.Spec.Taints)
	}
	w, err := client.CoreV1().Nodes().Get(ctx, "alpha-w-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info := w.Status.NodeInfo
	if info.OSImage != osImage || info.ContainerRuntimeVersion != containerRuntimeVersion || info.Architecture != "amd64" ||
		w.Spec.ProviderID != "" || !hasTaint(w, uninitializedTaint.Key) || hasTaint(w, controlPlaneTaint.Key) {
		t.Errorf("worker Node: info %+v, providerID %q, taints %v", info, w.Spec.ProviderID, w.Spec.Taints)
	}
	if got := w.Status.Capacity[corev1.ResourceMemory]; got.String() != "4Gi" {
		t.Errorf("worker memory capacity %s", got.String())
	}
	err = nodetest.Eventually(ctx, 10*time.Second, "worker's Lease", func(ctx context.Context) (bool, error) {
		_, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "alpha-w-0", metav1.GetOptions{})
		return err == nil, err
	})
	if err != nil {
		t.Error(err)
	}
	// Mirror Pods of the control plane, Running; kube-proxy Running everywhere.
	err = nodetest.Eventually(ctx, time.Minute, "control-plane and kube-proxy Pods Running", func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		running := map[string]int{}
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				running[p.Labels["component"]+p.Labels["k8s-app"]]++
			}
		}
		return running["etcd"] == 1 && running["kube-apiserver"] == 1 && running["kube-proxy"] == 2, nil
	})
	if err != nil {
		t.Error(err)
	}
}

// checkRootFS checks the files on the control plane's disk.
func checkRootFS(t *testing.T, n *Node) {
	t.Helper()
	for path, mode := range map[string]fs.FileMode{
		"etc/kubernetes/kubeadm.yaml":                  0o600,
		"etc/kubernetes/pki/ca.key":                    0o600,
		"etc/kubernetes/pki/ca.crt":                    0o644,
		"etc/kubernetes/pki/apiserver.crt":             0o644,
		"etc/kubernetes/pki/etcd/server.crt":           0o644,
		"etc/kubernetes/admin.conf":                    0o600,
		"etc/kubernetes/kubelet.conf":                  0o600,
		"etc/kubernetes/manifests/etcd.yaml":           0o600,
		"etc/kubernetes/manifests/kube-apiserver.yaml": 0o600,
	} {
		fi, err := os.Stat(filepath.Join(n.RootDir(), path))
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	if fi, err := os.Stat(filepath.Join(n.RootDir(), "var/lib/etcd/member")); err != nil || !fi.IsDir() {
		t.Errorf("etcd data: %v", err)
	}
}

func hasTaint(n *corev1.Node, key string) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == key })
}
