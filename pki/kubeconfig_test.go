package pki

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func TestKubeconfigLoads(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	certPEM, keyPEM, err := ca.Issue(LeafRequest{CommonName: "alice", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Kubeconfig("prod", "https://127.20.0.10:6443", ca.CertPEM, "alice", certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatalf("clientcmd.Load: %v", err)
	}
	if cfg.CurrentContext != "alice@prod" {
		t.Errorf("current context %q", cfg.CurrentContext)
	}
	ctx := cfg.Contexts["alice@prod"]
	if ctx == nil || ctx.Cluster != "prod" || ctx.AuthInfo != "alice" {
		t.Errorf("context %+v", ctx)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatalf("RESTConfigFromKubeConfig: %v", err)
	}
	if rc.Host != "https://127.20.0.10:6443" {
		t.Errorf("Host = %q", rc.Host)
	}
	if !bytes.Equal(rc.CAData, ca.CertPEM) || !bytes.Equal(rc.CertData, certPEM) || !bytes.Equal(rc.KeyData, keyPEM) {
		t.Error("TLS data not carried into the rest.Config")
	}
}

func TestKubeconfigErrors(t *testing.T) {
	x := []byte("x")
	for name, f := range map[string]func() ([]byte, error){
		"no cluster": func() ([]byte, error) { return Kubeconfig("", "https://h", x, "u", x, x) },
		"no server":  func() ([]byte, error) { return Kubeconfig("c", "", x, "u", x, x) },
		"no user":    func() ([]byte, error) { return Kubeconfig("c", "https://h", x, "", x, x) },
		"no key":     func() ([]byte, error) { return Kubeconfig("c", "https://h", x, "u", x, nil) },
		"nil CA":     func() ([]byte, error) { return AdminKubeconfig("c", "https://h", nil) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

// TestAdminKubeconfigTLS serves HTTPS with a server certificate from the
// cluster CA, requires client certificates from the same CA, and calls it
// with the rest.Config built from AdminKubeconfig.
func TestAdminKubeconfigTLS(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	srvCert, srvKey, err := ca.Issue(LeafRequest{CommonName: "kube-apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := r.TLS.PeerCertificates[0]
		_, _ = io.WriteString(w, peer.Subject.CommonName+"/"+strings.Join(peer.Subject.Organization, ","))
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}
	srv.StartTLS()
	defer srv.Close()

	data, err := AdminKubeconfig("prod", srv.URL, ca)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET with admin kubeconfig: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if got := string(body); got != "kubernetes-admin/system:masters" {
		t.Errorf("server saw client %q, want kubernetes-admin/system:masters", got)
	}
}
