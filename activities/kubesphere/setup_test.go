package kubesphere_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/activities/kubesphere"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/kubeproc/kubeproctest"
)

// The control planes of this package's test; 127.26.0.0/16 is this
// package's. No nodes: registration needs API servers and their token
// controllers only.
var kubeVersion = domain.KubernetesVersions().Default

var testClusters = []struct{ name, ip string }{
	{"ks-host", "127.26.1.10"},
	{"ks-member", "127.26.2.10"},
}

// testCluster is a running control plane with its admin clients.
type testCluster struct {
	ref  kubesphere.Cluster
	cp   *kubeproc.ControlPlane
	kube kubernetes.Interface
	dyn  dynamic.Interface
}

// access is the inventory as the activities see it: the clusters' admin
// kubeconfigs and endpoints, by inventory id.
type access struct{ clusters map[string]*testCluster }

func (a access) AdminKubeconfig(_ context.Context, id string) ([]byte, error) {
	c, ok := a.clusters[id]
	if !ok {
		return nil, fmt.Errorf("cluster %s: %w", id, domain.ErrNotFound)
	}
	return c.cp.AdminKubeconfig(), nil
}

func (a access) ControlPlaneEndpoint(_ context.Context, id string) (string, error) {
	c, ok := a.clusters[id]
	if !ok {
		return "", fmt.Errorf("cluster %s: %w", id, domain.ErrNotFound)
	}
	return strings.TrimPrefix(c.cp.Endpoint(), "https://"), nil
}

// logBuffer collects the activities' logs: shown when the test fails, and
// searched for secrets.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startClusters starts the two control planes side by side, by name.
func startClusters(t *testing.T) map[string]*testCluster {
	t.Helper()
	if _, err := kubeproc.Binaries(kubeVersion); err != nil {
		t.Fatal(err)
	}
	out := map[string]*testCluster{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tc := range testClusters {
		dir := t.TempDir()
		wg.Go(func() {
			c, err := startCluster(t.Context(), tc.name, tc.ip, dir)
			if c != nil {
				t.Cleanup(func() {
					if err := c.cp.Stop(); err != nil {
						t.Errorf("stop %s: %v", tc.name, err)
					}
				})
			}
			if err != nil {
				t.Errorf("cluster %s: %v", tc.name, err)
				return
			}
			mu.Lock()
			out[tc.name] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

func startCluster(ctx context.Context, name, ip, dir string) (*testCluster, error) {
	p, err := kubeproctest.WritePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cp, err := kubeproc.StartWithLogger(ctx, kubeproc.ControlPlaneConfig{
		Version: kubeVersion, IP: ip, Dir: dir, PKI: p, ClusterName: name,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	c := &testCluster{ref: kubesphere.Cluster{ID: "id-" + name, Name: name}, cp: cp}
	admin := cp.Admin()
	rc := &rest.Config{Host: admin.Host, TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData, CertData: admin.CertData, KeyData: admin.KeyData}}
	if c.kube, err = kubernetes.NewForConfig(rc); err != nil {
		return c, err
	}
	if c.dyn, err = dynamic.NewForConfig(rc); err != nil {
		return c, err
	}
	return c, nil
}

// installKubeSphere installs the simulator's ks-core chart as
// activities/addons does for a cluster with addons.kubesphere in role;
// without nodes nothing runs, so it does not wait.
func installKubeSphere(t *testing.T, c *testCluster, role string) {
	t.Helper()
	chartDir := t.TempDir()
	if err := chartrepo.WriteDir(chartDir); err != nil {
		t.Fatal(err)
	}
	installer := &addons.Installer{CacheDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	spec := domain.ClusterSpec{Name: c.ref.Name, Addons: domain.AddonsSpec{KubeSphere: &domain.KubeSphereSpec{Enabled: true, Role: role}}}
	_, err := installer.Apply(t.Context(), c.cp.AdminKubeconfig(), addons.Release{
		Name: "ks-core", Namespace: kubesphere.KubeSphereNamespace, CreateNamespace: true,
		Source: addons.Source{Dir: chartDir, Chart: "ks-core", Version: addons.KubeSphereChartVersion},
		Values: addons.KubeSphereValues(spec, "", ""), Timeout: time.Minute,
	})
	if err != nil {
		t.Fatalf("install ks-core as %s on %s: %v", role, c.ref.Name, err)
	}
}
