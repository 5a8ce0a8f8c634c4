package kubeproc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// TestRenewCertificates checks that renewal issues every certificate
// kubeadm renews anew, with a new key, and leaves the components' own
// serving certificates alone.
func TestRenewCertificates(t *testing.T) {
	root := t.TempDir()
	pkiDir := filepath.Join(root, "etc/kubernetes/pki")
	writeTestPKI(t, pkiDir)
	cfg := ControlPlaneConfig{
		Version: "v1.35.1", IP: "127.20.9.20", Name: "renew-cp-0",
		Layout: Layout{
			CertDir: pkiDir, KubeconfigDir: filepath.Join(root, "etc/kubernetes"), EtcdDataDir: filepath.Join(root, "var/lib/etcd"),
			LogDir: filepath.Join(root, "var/log/kubernetes"), RunDir: filepath.Join(root, "var/run/kubernetes"),
		},
	}
	if err := EnsureCertificates(cfg); err != nil {
		t.Fatal(err)
	}
	renewed := []string{
		"etc/kubernetes/pki/apiserver.key", "etc/kubernetes/pki/apiserver-kubelet-client.crt", "etc/kubernetes/pki/apiserver-etcd-client.crt",
		"etc/kubernetes/pki/front-proxy-client.crt", "etc/kubernetes/pki/etcd/server.crt", "etc/kubernetes/pki/etcd/peer.crt",
		"etc/kubernetes/pki/etcd/healthcheck-client.crt", "etc/kubernetes/admin.conf", "etc/kubernetes/super-admin.conf",
		"etc/kubernetes/controller-manager.conf", "etc/kubernetes/scheduler.conf",
	}
	kept := []string{"var/run/kubernetes/kube-scheduler.crt", "var/run/kubernetes/kube-controller-manager.crt", "etc/kubernetes/pki/ca.crt"}
	before := readFiles(t, root, append(renewed, kept...))
	serial := readCert(t, filepath.Join(pkiDir, "apiserver.crt")).SerialNumber

	if err := RenewCertificates(cfg); err != nil {
		t.Fatal(err)
	}
	after := readFiles(t, root, append(renewed, kept...))
	for _, f := range renewed {
		if string(before[f]) == string(after[f]) {
			t.Errorf("%s was not renewed", f)
		}
	}
	for _, f := range kept {
		if string(before[f]) != string(after[f]) {
			t.Errorf("%s changed", f)
		}
	}
	if readCert(t, filepath.Join(pkiDir, "apiserver.crt")).SerialNumber.Cmp(serial) == 0 {
		t.Error("apiserver.crt has the old serial")
	}
	if _, err := clientcmd.LoadFromFile(filepath.Join(root, "etc/kubernetes/admin.conf")); err != nil {
		t.Errorf("renewed admin.conf: %v", err)
	}
	// A renewal is still a valid set: a later start keeps it.
	if err := EnsureCertificates(cfg); err != nil {
		t.Fatal(err)
	}
	if again := readFiles(t, root, renewed); string(again[renewed[0]]) != string(after[renewed[0]]) {
		t.Error("EnsureCertificates replaced renewed certificates")
	}
}

func TestFindEtcdToolsMissing(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	if _, err := FindEtcdTools("v1.35.1"); err == nil || !strings.Contains(err.Error(), "make kubebin KUBE_VERSIONS=v1.35.1") {
		t.Fatalf("FindEtcdTools() error = %v, want one telling to run make kubebin", err)
	}
}

func readFiles(t *testing.T, root string, names []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = b
	}
	return out
}
