package addons_test

import (
	"context"
	"fmt"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/kubeproc/kubeproctest"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// The control plane of this package's tests; 127.22.0.0/24 is this package's.
const planeIP = "127.22.0.10"

// kubeVersion is the control plane's Kubernetes version: the default.
var kubeVersion = domain.KubernetesVersions().Default

// testCluster is a running control plane with the clients the tests need.
type testCluster struct {
	cp         *kubeproc.ControlPlane
	kubeconfig []byte
	kube       kubernetes.Interface
	dyn        dynamic.Interface
	ext        apiextensions.Interface
}

var (
	clusterOnce sync.Once
	cluster     *testCluster
	clusterErr  error
	clusterDir  string
)

// TestMain stops the shared control plane after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if cluster != nil {
		if err := cluster.cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}
	if clusterDir != "" {
		_ = os.RemoveAll(clusterDir)
	}
	os.Exit(code)
}

// sharedCluster starts the package's control plane on first use, and fails
// the test when it cannot (missing binaries: with kubeproc's message on how
// to build them).
func sharedCluster(t *testing.T) *testCluster {
	t.Helper()
	clusterOnce.Do(func() { cluster, clusterErr = startCluster() })
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	return cluster
}

func startCluster() (*testCluster, error) {
	dir, err := os.MkdirTemp("", "addons-test-cluster-")
	if err != nil {
		return nil, err
	}
	clusterDir = dir
	pki, err := kubeproctest.WritePKI(filepath.Join(dir, "cluster-pki"))
	if err != nil {
		return nil, err
	}
	cfg := kubeproc.ControlPlaneConfig{
		Version: kubeVersion,
		IP:      planeIP,
		Dir:     dir,
		PKI:     pki,
		PodCIDR: "10.244.0.0/16",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	began := time.Now()
	cp, err := kubeproc.StartWithLogger(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "control plane %s on %s started in %s\n", kubeVersion, planeIP, time.Since(began).Round(time.Millisecond))
	c := &testCluster{cp: cp, kubeconfig: cp.AdminKubeconfig()}
	admin := cp.Admin()
	rc := &rest.Config{
		Host:            admin.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData, CertData: admin.CertData, KeyData: admin.KeyData},
		QPS:             50,
		Burst:           100,
	}
	if c.kube, err = kubernetes.NewForConfig(rc); err != nil {
		return c, err
	}
	if c.dyn, err = dynamic.NewForConfig(rc); err != nil {
		return c, err
	}
	if c.ext, err = apiextensions.NewForConfig(rc); err != nil {
		return c, err
	}
	return c, nil
}

// logBuffer collects log output for checks; safe for the goroutines Helm
// leaves running.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// testLogger logs at debug level (Helm's output included) into a buffer
// that is shown when the test fails.
func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("installer log:\n%s", b)
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}
