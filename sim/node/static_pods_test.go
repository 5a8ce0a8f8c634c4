package node

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// TestStaticPodManifests writes kubeadm's four manifests and reads them
// back: the configuration round-trips, a missing manifest is missing, a
// manifest the simulated kubelet does not know is left alone, and a node of
// an earlier simulator version has its one legacy file replaced.
func TestStaticPodManifests(t *testing.T) {
	n := &Node{cfg: Config{RootDir: t.TempDir()}}
	cfg := kubeproc.ControlPlaneConfig{Version: "v1.35.1", IP: "127.20.61.10", Name: "cp-0",
		Layout: kubeproc.Layout{CertDir: "/x/pki", EtcdDataDir: "/x/etcd"}, ServiceCIDR: "10.96.0.0/12"}
	if _, present, err := n.readStaticPods(); err != nil || len(present) != 0 {
		t.Fatalf("empty node: %v, %v", present, err)
	}
	if err := n.writeStaticPodManifests(cfg); err != nil {
		t.Fatal(err)
	}
	dir := n.path(manifestsDir)
	if err := os.WriteFile(filepath.Join(dir, "kube-vip.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-vip\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, present, err := n.readStaticPods()
	if err != nil || !slices.Equal(present, kubeproc.Components) {
		t.Fatalf("read: %v, %v", present, err)
	}
	if got.Version != cfg.Version || got.IP != cfg.IP || got.Layout != cfg.Layout || got.ServiceCIDR != cfg.ServiceCIDR {
		t.Errorf("config read back: %+v, want %+v", got, cfg)
	}
	b, err := os.ReadFile(filepath.Join(dir, "kube-apiserver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: Pod", "name: kube-apiserver", "namespace: kube-system", "image: registry.k8s.io/kube-apiserver:v1.35.1",
		"tier: control-plane", "hostNetwork: true", "--advertise-address=127.20.61.10"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("kube-apiserver.yaml lacks %q:\n%s", want, b)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "etcd.yaml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("etcd.yaml: %v, %v", fi, err)
	}

	if err := os.Rename(filepath.Join(dir, "etcd.yaml"), filepath.Join(t.TempDir(), "etcd.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, present, err := n.readStaticPods(); err != nil || !slices.Equal(present, kubeproc.Components[1:]) {
		t.Errorf("without etcd.yaml: %v, %v", present, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kube-vip.yaml")); err != nil {
		t.Errorf("kube-vip.yaml: %v", err)
	}

	legacy := &Node{cfg: Config{RootDir: t.TempDir()}}
	if err := writeJSON(legacy.path(legacyControlPlaneManifest), cfg); err != nil {
		t.Fatal(err)
	}
	got, present, err = legacy.readStaticPods()
	if err != nil || !slices.Equal(present, kubeproc.Components) || got.IP != cfg.IP {
		t.Fatalf("legacy node: %v, %+v, %v", present, got, err)
	}
	if _, err := os.Stat(legacy.path(legacyControlPlaneManifest)); !os.IsNotExist(err) {
		t.Errorf("legacy manifest still there: %v", err)
	}
	if _, err := os.Stat(legacy.path(manifestPath(kubeproc.Scheduler))); err != nil {
		t.Errorf("legacy node's manifests: %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "kube-scheduler.yaml"), []byte("kind: Pod\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "kube-apiserver.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "kube-controller-manager.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.readStaticPods(); err == nil || !strings.Contains(err.Error(), annotationSimControlPlane) {
		t.Errorf("foreign kube-scheduler.yaml: %v, want an error naming the annotation", err)
	}
}
