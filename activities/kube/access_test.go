package kube_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// accessIP is the loopback address of this test's API server.
const accessIP = "127.31.0.10"

// TestPersonalKubeconfigsAgainstARealAPIServer: a cluster's real kube-apiserver (with
// the CA from the inventory) authorizes the kubeconfigs the service issues. The cluster
// starts as one made before the service had an identity of its own (system:masters);
// issuing a kubeconfig installs the RBAC bindings and moves the service to
// clusterwright-service, which WaitAPIServer then uses; a viewer's kubeconfig lists Pods
// but may not create one (Forbidden), an admin's creates one, and an expired certificate
// of the same CA is refused (401).
func TestPersonalKubeconfigsAgainstARealAPIServer(t *testing.T) {
	version := domain.KubernetesVersions().Default
	if _, err := kubeproc.Binaries(version); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	store := inventorytest.NewStore(t)
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := store.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCluster(ctx, domain.ClusterSpec{Name: "rbac", VCenter: "vc1"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := accessIP + ":6443"
	if err := store.SetControlPlaneEndpoint(ctx, c.ID, endpoint); err != nil {
		t.Fatal(err)
	}
	src := &bootstrap.Source{Store: store}
	if err := src.Prepare(ctx, c.ID, endpoint); err != nil {
		t.Fatal(err)
	}
	m, err := src.Material(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A cluster of before: its service kubeconfig is the bootstrap admin's.
	legacy, err := pki.AdminKubeconfig(c.Name, "https://"+endpoint, m.PKI.CA)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutClusterSecret(ctx, c.ID, bootstrap.SecretAdminKubeconfig, legacy); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	certDir := filepath.Join(dir, "pki")
	for name, data := range m.PKI.Files() {
		path := filepath.Join(certDir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := kubeproc.StartComponents(ctx, kubeproc.ControlPlaneConfig{Version: version, IP: accessIP, Dir: dir,
		PKI: kubeproc.KubeadmPKI(certDir), ClusterName: c.Name, ControlPlaneEndpoint: endpoint},
		slog.New(slog.DiscardHandler), []string{kubeproc.Etcd, kubeproc.APIServer, kubeproc.ControllerManager})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })

	issue := func(name string, role domain.Role) kubernetes.Interface {
		t.Helper()
		kc, err := src.IssueUserKubeconfig(ctx, c.ID, bootstrap.UserKubeconfigRequest{
			User: domain.KubeUser(name), Groups: []string{role.KubeGroup()}, TTL: time.Hour})
		if err != nil || kc.AccessProblem != nil {
			t.Fatalf("kubeconfig of %s: %v %v", name, err, kc.AccessProblem)
		}
		return clientOf(t, kc.Kubeconfig)
	}
	viewer := issue("vera", domain.RoleViewer)
	service, err := src.AdminKubeconfig(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err := bootstrap.KubeconfigClientCertificate(service); err != nil || cert.Subject.CommonName != pki.ServiceUser {
		t.Fatalf("service identity after the first issue: %v %v", cert, err)
	}
	// The service's identity works through its binding (WaitAPIServer applies them again).
	acts := &kube.Activities{Clusters: src, Bindings: src}
	if v, err := acts.WaitAPIServer(ctx, c.ID); err != nil || v != version {
		t.Fatalf("WaitAPIServer as the service: %q %v", v, err)
	}
	if _, err := clientOf(t, service).RbacV1().ClusterRoleBindings().Get(ctx, "clusterwright:viewers", metav1.GetOptions{}); err != nil {
		t.Fatalf("the service reads the viewers' binding: %v", err)
	}

	admin := issue("ada", domain.RoleAdmin)
	if _, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err) // the controller manager may not have made it yet
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := viewer.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("a viewer creates a Pod: %v, want Forbidden", err)
	}
	// view is an aggregated ClusterRole: the controller manager fills in its rules.
	if err := waitFor(ctx, func() error {
		_, err := viewer.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		return err
	}); err != nil {
		t.Fatalf("a viewer lists Pods: %v", err)
	}
	if _, err := admin.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("an admin creates a Pod: %v", err)
	}
	list, err := viewer.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("the viewer lists %v (%v), want the admin's Pod", list, err)
	}

	// An expired certificate of the same CA, issued the same way: 401.
	expired, _, err := pki.ClientKubeconfig(c.Name, "https://"+endpoint, m.PKI.CA, pki.ClientCertificate{
		User: domain.KubeUser("ada"), Groups: []string{domain.RoleAdmin.KubeGroup()},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = clientOf(t, expired).CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Fatalf("an expired kubeconfig lists Pods: %v, want Unauthorized", err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("the error quotes a key")
	}
}

// clientOf is a clientset for kubeconfig.
func clientOf(t *testing.T, kubeconfig []byte) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 15 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitFor calls f every half second until it succeeds or 30 seconds have passed, and
// returns its last error.
func waitFor(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}
