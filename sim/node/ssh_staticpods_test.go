package node

import (
	"crypto/x509"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// waitCrictl polls `sudo crictl ps --name RE -q` until it lists want
// containers and returns how long that took.
func waitCrictl(t *testing.T, n *sshNode, re string, want int) time.Duration {
	t.Helper()
	began := time.Now()
	for deadline := began.Add(serviceStartTimeout); ; time.Sleep(100 * time.Millisecond) {
		r := mustRun(t, n.client, "sudo crictl ps --name '"+re+"' -q", "")
		if got := len(strings.Fields(r.stdout)); got == want {
			return time.Since(began)
		}
		if time.Now().After(deadline) {
			t.Fatalf("crictl ps --name %s: %q after %s, want %d containers", re, r.stdout, serviceStartTimeout, want)
		}
	}
}

// waitMirrorPod waits until the mirror Pod of component is there (or gone).
func waitMirrorPod(t *testing.T, client kubernetes.Interface, n *sshNode, component string, there bool) {
	t.Helper()
	name := component + "-" + n.Hostname()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		_, err := client.CoreV1().Pods(metav1.NamespaceSystem).Get(t.Context(), name, metav1.GetOptions{})
		if (err == nil) == there && (there || apierrors.IsNotFound(err)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mirror pod %s: %v, want there=%t", name, err, there)
		}
	}
}

// testStaticPods stops and starts static Pods the way the kubeadm
// documentation does on a real node: a manifest moved out of
// /etc/kubernetes/manifests stops its component, moved back starts it (with
// the certificates on disk now), crictl says when, the mirror Pods follow,
// and a manifest the kubelet does not know of is left alone.
func testStaticPods(t *testing.T, cp, w *sshNode, client kubernetes.Interface, ca *x509.CertPool) {
	r := mustRun(t, cp.client, "sudo ls /etc/kubernetes/manifests", "")
	if r.stdout != "etcd.yaml\nkube-apiserver.yaml\nkube-controller-manager.yaml\nkube-scheduler.yaml\n" {
		t.Errorf("manifests: %q", r.stdout)
	}
	if r := runSSH(t, cp.client, "crictl ps", ""); r.status != 1 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("crictl ps without sudo: %v", r)
	}
	r = mustRun(t, cp.client, "sudo crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock ps", "")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "CONTAINER") || !strings.Contains(r.stdout, "Running") ||
		!strings.Contains(r.stdout, "kube-apiserver-"+cp.Hostname()) || !strings.Contains(r.stdout, "registry.k8s.io/etcd:") {
		t.Errorf("crictl ps:\n%s", r.stdout)
	}
	if r := mustRun(t, w.client, "sudo crictl ps -q", ""); r.stdout != "" {
		t.Errorf("crictl ps -q on a worker: %q", r.stdout)
	}
	if r := runSSH(t, cp.client, "sudo crictl -r unix:///run/docker.sock ps", ""); r.status != 1 {
		t.Errorf("crictl with another runtime endpoint: %v", r)
	}
	if n := waitCrictl(t, cp, "^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$", 4); n > time.Second {
		t.Errorf("crictl took %s", n)
	}
	// kube-vip's manifest (written by another part of the simulator) is not the watcher's.
	mustRun(t, cp.client, "sudo tee /etc/kubernetes/manifests/kube-vip.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-vip\n")
	defer mustRun(t, cp.client, "sudo rm -f /etc/kubernetes/manifests/kube-vip.yaml", "")

	// The scheduler: out and back; its mirror Pod follows.
	mustRun(t, cp.client, "sudo mkdir -p /etc/kubernetes/held && sudo mv /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/held/", "")
	took := waitCrictl(t, cp, "^kube-scheduler$", 0)
	t.Logf("kube-scheduler stopped %s after its manifest went", took.Round(time.Millisecond))
	if r := mustRun(t, cp.client, "sudo crictl ps -q", ""); len(strings.Fields(r.stdout)) != 3 {
		t.Errorf("others after the scheduler stopped: %q", r.stdout)
	}
	if r := mustRun(t, cp.client, "sudo crictl ps -a --name kube-scheduler", ""); !strings.Contains(r.stdout, "Exited") {
		t.Errorf("crictl ps -a: %s", r.stdout)
	}
	waitMirrorPod(t, client, cp, "kube-scheduler", false)
	mustRun(t, cp.client, "sudo mv /etc/kubernetes/held/kube-scheduler.yaml /etc/kubernetes/manifests/kube-scheduler.yaml", "")
	took = waitCrictl(t, cp, "^kube-scheduler$", 1)
	t.Logf("kube-scheduler running %s after its manifest came back", took.Round(time.Millisecond))
	waitMirrorPod(t, client, cp, "kube-scheduler", true)

	// The API server, after a renewal: it comes back with the renewed certificate.
	addr := net.JoinHostPort(cp.IP().String(), "6443")
	before := servingCert(t, addr, ca)
	time.Sleep(1100 * time.Millisecond) // a later NotBefore
	mustRun(t, cp.client, "sudo kubeadm certs renew all", "")
	onDisk := readCert(t, filepath.Join(cp.RootDir(), "etc/kubernetes/pki/apiserver.crt"))
	if onDisk.SerialNumber.Cmp(before.SerialNumber) == 0 {
		t.Fatal("apiserver.crt not renewed")
	}
	pid := cp.ControlPlane().PIDs()[kubeproc.APIServer]
	began := time.Now()
	mustRun(t, cp.client, "sudo mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/held/", "")
	waitCrictl(t, cp, "^kube-apiserver$", 0)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the API server still listens with its manifest gone")
	}
	mustRun(t, cp.client, "sudo mv /etc/kubernetes/held/kube-apiserver.yaml /etc/kubernetes/manifests/", "")
	waitCrictl(t, cp, "^kube-apiserver$", 1)
	if err := nodetest.WaitReady(t.Context(), client, time.Minute, sshFromVersion, cp.Hostname()); err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver restarted through its manifest in %s", time.Since(began).Round(time.Millisecond))
	if got := cp.ControlPlane().PIDs()[kubeproc.APIServer]; got == pid {
		t.Errorf("kube-apiserver still runs as pid %d", pid)
	}
	if after := servingCert(t, addr, ca); after.SerialNumber.Cmp(onDisk.SerialNumber) != 0 {
		t.Errorf("serving serial %s after the restart, want the renewed %s", after.SerialNumber, onDisk.SerialNumber)
	}
	// The controllers may have exited meanwhile (their leader election lost with
	// the API server): the kubelet starts them again.
	took = waitCrictl(t, cp, "^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$", 4)
	t.Logf("all four components running %s later", took.Round(time.Millisecond))
	if r := mustRun(t, cp.client, "sudo ls /etc/kubernetes/manifests", ""); !strings.Contains(r.stdout, "kube-vip.yaml") {
		t.Errorf("kube-vip.yaml gone: %q", r.stdout)
	}
}
