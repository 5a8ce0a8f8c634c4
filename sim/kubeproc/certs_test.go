package kubeproc

import (
	"bytes"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/pki"
)

// TestEnsureCertificates checks kubeadm's layout, the names in the API
// server certificate, and that certificates are issued once and again only
// when they no longer fit.
func TestEnsureCertificates(t *testing.T) {
	root := t.TempDir()
	pkiDir := filepath.Join(root, "etc/kubernetes/pki")
	writeTestPKI(t, pkiDir)
	cfg := ControlPlaneConfig{
		Version: "v1.35.1",
		IP:      "127.20.9.10",
		Name:    "prod-cp-0",
		Layout: Layout{
			CertDir:       pkiDir,
			KubeconfigDir: filepath.Join(root, "etc/kubernetes"),
			EtcdDataDir:   filepath.Join(root, "var/lib/etcd"),
			LogDir:        filepath.Join(root, "var/log/kubernetes"),
			RunDir:        filepath.Join(root, "var/run/kubernetes"),
		},
		ControlPlaneEndpoint: "prod.example.com:6443",
		APIServerCertSANs:    []string{"127.20.9.100", "api.prod.example.com"},
	}
	if err := EnsureCertificates(cfg); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		"pki/apiserver.crt", "pki/apiserver.key", "pki/apiserver-kubelet-client.crt", "pki/apiserver-etcd-client.crt",
		"pki/front-proxy-client.crt", "pki/etcd/server.crt", "pki/etcd/peer.crt", "pki/etcd/healthcheck-client.crt",
		"admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf",
	} {
		if _, err := os.Stat(filepath.Join(root, "etc/kubernetes", f)); err != nil {
			t.Error(err)
		}
	}
	cert := readCert(t, filepath.Join(pkiDir, "apiserver.crt"))
	for _, name := range []string{"prod-cp-0", "kubernetes.default.svc.cluster.local", "prod.example.com", "api.prod.example.com"} {
		if !slices.Contains(cert.DNSNames, name) {
			t.Errorf("apiserver.crt lacks DNS name %q: %v", name, cert.DNSNames)
		}
	}
	for _, ip := range []string{"127.20.9.10", "10.96.0.1", "127.20.9.100"} {
		if !slices.ContainsFunc(cert.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("apiserver.crt lacks IP %s: %v", ip, cert.IPAddresses)
		}
	}
	admin, err := clientcmd.LoadFromFile(filepath.Join(root, "etc/kubernetes/admin.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if got := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster].Server; got != "https://prod.example.com:6443" {
		t.Errorf("admin.conf server = %q", got)
	}
	adminCert, err := parseCertPEM(admin.AuthInfos[admin.Contexts[admin.CurrentContext].AuthInfo].ClientCertificateData)
	if err != nil {
		t.Fatal(err)
	}
	if adminCert.Subject.CommonName != AdminUser || !slices.Equal(adminCert.Subject.Organization, []string{AdminGroup}) {
		t.Errorf("admin.conf identity %v", adminCert.Subject)
	}

	// Nothing changes on a second call.
	before := snapshot(t, root)
	if err := EnsureCertificates(cfg); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, root)
	for path, b := range before {
		if !bytes.Equal(b, after[path]) {
			t.Errorf("%s changed on the second call", path)
		}
	}

	// A new SAN makes only the API server certificate be issued again.
	cfg.APIServerCertSANs = append(cfg.APIServerCertSANs, "127.20.9.101")
	if err := EnsureCertificates(cfg); err != nil {
		t.Fatal(err)
	}
	changed := snapshot(t, root)
	for path, b := range after {
		same := bytes.Equal(b, changed[path])
		if wantChange := filepath.Base(path) == "apiserver.crt" || filepath.Base(path) == "apiserver.key"; same == wantChange {
			t.Errorf("%s: changed = %v, want %v", path, !same, wantChange)
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCertPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// snapshot reads every regular file under dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeTestPKI writes the shared cluster PKI in kubeadm's layout.
func writeTestPKI(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"ca", "etcd/ca", "front-proxy-ca"} {
		ca, err := pki.NewCA(name, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name+".crt"), ca.CertPEM)
		writeFile(t, filepath.Join(dir, name+".key"), ca.KeyPEM)
	}
	writeFile(t, filepath.Join(dir, "sa.key"), []byte("unused"))
	writeFile(t, filepath.Join(dir, "sa.pub"), []byte("unused"))
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
