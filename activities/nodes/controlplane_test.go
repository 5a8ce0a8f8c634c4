package nodes_test

import (
	"context"
	"crypto/tls"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/sim/node"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// servingSerial is the serial of the certificate the API server at addr presents.
func servingSerial(t *testing.T, addr string) *big.Int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only the certificate is read
		if err == nil {
			cert := c.ConnectionState().PeerCertificates[0]
			c.Close()
			return cert.SerialNumber
		}
		if time.Now().After(deadline) {
			t.Fatalf("API server %s: %v", addr, err)
		}
	}
}

// manifestsOf lists which control-plane manifests are in place and which held.
func manifestsOf(t *testing.T, n *node.Node) (active, held int) {
	t.Helper()
	for _, c := range nodes.ControlPlaneComponents {
		if _, err := os.Stat(filepath.Join(n.RootDir(), nodes.ManifestsDir, c+".yaml")); err == nil {
			active++
		}
		if _, err := os.Stat(filepath.Join(n.RootDir(), nodes.HeldManifestsDir, c+".yaml")); err == nil {
			held++
		}
	}
	return active, held
}

// testControlPlane stops, starts and restarts (certificate renewal) the
// control plane of cp the kubeadm way, through its static Pod manifests, and
// checks each against the simulated node's processes: idempotent reruns,
// a renewal interrupted half way completed by the next, a worker refused.
func testControlPlane(t *testing.T, acts *nodes.Activities, ref, worker nodes.NodeRef, cp *node.Node, client kubernetes.Interface) {
	ctx := t.Context()
	addr := net.JoinHostPort(cpIP, "6443")
	running := func() int { return len(cp.ControlPlane().Running()) }

	t.Run("Renew", func(t *testing.T) {
		before := servingSerial(t, addr)
		pids := cp.ControlPlane().PIDs()
		began := time.Now()
		if err := acts.RenewCertificates(ctx, ref); err != nil {
			t.Fatal(err)
		}
		t.Logf("RenewCertificates (kubeadm certs renew all and four static Pods restarted) took %s", time.Since(began).Round(time.Millisecond))
		if after := servingSerial(t, addr); after.Cmp(before) == 0 {
			t.Errorf("the API server serves the certificate of serial %s still", after)
		}
		for name, pid := range cp.ControlPlane().PIDs() {
			if pids[name] == pid {
				t.Errorf("%s not restarted (pid %d)", name, pid)
			}
		}
		if a, h := manifestsOf(t, cp); a != 4 || h != 0 || running() != 4 {
			t.Errorf("after renewal: %d manifests in place, %d held, %d components running", a, h, running())
		}
		if err := nodetest.WaitReady(ctx, client, time.Minute, version, ref.Node); err != nil {
			t.Error(err)
		}
	})

	t.Run("StopStart", func(t *testing.T) {
		began := time.Now()
		if err := acts.StopControlPlane(ctx, ref); err != nil {
			t.Fatal(err)
		}
		t.Logf("StopControlPlane took %s", time.Since(began).Round(time.Millisecond))
		if a, h := manifestsOf(t, cp); a != 0 || h != 4 || running() != 0 {
			t.Fatalf("after stop: %d manifests in place, %d held, %d components running", a, h, running())
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Error("the API server listens after the stop")
		}
		if err := acts.StopControlPlane(ctx, ref); err != nil {
			t.Fatalf("second stop: %v", err)
		}
		began = time.Now()
		if err := acts.StartControlPlane(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("StartControlPlane took %s: it should not wait for the control plane", took)
		}
		if err := acts.StartControlPlane(ctx, ref); err != nil {
			t.Fatalf("second start: %v", err)
		}
		if a, h := manifestsOf(t, cp); a != 4 || h != 0 {
			t.Errorf("after start: %d manifests in place, %d held", a, h)
		}
		if err := nodetest.WaitReady(ctx, client, 2*time.Minute, version, ref.Node); err != nil {
			t.Fatal(err)
		}
		t.Logf("API server and node Ready %s after the start", time.Since(began).Round(time.Millisecond))
		waitRunning(t, ctx, running, 4)
	})

	t.Run("RenewAfterCrash", func(t *testing.T) {
		// A renewal that died with the scheduler's manifest held.
		if err := os.Rename(filepath.Join(cp.RootDir(), nodes.ManifestsDir, "kube-scheduler.yaml"),
			filepath.Join(cp.RootDir(), nodes.HeldManifestsDir, "kube-scheduler.yaml")); err != nil {
			t.Fatal(err)
		}
		waitRunning(t, ctx, running, 3)
		if err := acts.RenewCertificates(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if a, h := manifestsOf(t, cp); a != 4 || h != 0 || running() != 4 {
			t.Errorf("after renewal: %d manifests in place, %d held, %d components running", a, h, running())
		}
	})

	t.Run("Worker", func(t *testing.T) {
		appError(t, acts.StopControlPlane(ctx, worker), nodes.ErrTypeNoControlPlane, true)
	})
}

// waitRunning waits until running reports want components.
func waitRunning(t *testing.T, ctx context.Context, running func() int, want int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); running() != want; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%d components running, want %d", running(), want)
		}
	}
}
