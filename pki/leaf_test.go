package pki

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// verifyLeaf checks that certPEM chains to ca for usage and returns it.
func verifyLeaf(t *testing.T, ca *CA, certPEM []byte, usage x509.ExtKeyUsage) *x509.Certificate {
	t.Helper()
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Fatalf("Verify(%v): %v", usage, err)
	}
	return cert
}

func TestIssueServer(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	certPEM, keyPEM, err := ca.Issue(LeafRequest{
		CommonName: "kube-apiserver",
		DNSNames:   []string{"kubernetes", "kubernetes.default.svc"},
		IPs:        []net.IP{net.ParseIP("127.20.0.10"), net.ParseIP("10.96.0.1")},
		Server:     true,
	})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	cert := verifyLeaf(t, ca, certPEM, x509.ExtKeyUsageServerAuth)

	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("ExtKeyUsage = %v, want [ServerAuth]", cert.ExtKeyUsage)
	}
	if cert.IsCA {
		t.Error("leaf is a CA")
	}
	if !bytes.Equal(cert.AuthorityKeyId, ca.Cert.SubjectKeyId) {
		t.Error("AuthorityKeyId does not name the CA")
	}
	for _, host := range []string{"127.20.0.10", "10.96.0.1", "kubernetes.default.svc"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%s): %v", host, err)
		}
	}
	if err := cert.VerifyHostname("127.20.0.11"); err == nil {
		t.Error("VerifyHostname accepted an IP not in the SANs")
	}
	// A server certificate must not authenticate a client.
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("server certificate verified for client auth")
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Errorf("certificate and key do not pair: %v", err)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got != DefaultLeafValidity {
		t.Errorf("validity %s, want %s", got, DefaultLeafValidity)
	}
}

func TestIssueClient(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	certPEM, _, err := ca.Issue(LeafRequest{
		CommonName:    "system:node:node-1",
		Organizations: []string{"system:nodes"},
		Client:        true,
	})
	if err != nil {
		t.Fatal(err)
	}
	cert := verifyLeaf(t, ca, certPEM, x509.ExtKeyUsageClientAuth)
	if cert.Subject.CommonName != "system:node:node-1" || !slices.Equal(cert.Subject.Organization, []string{"system:nodes"}) {
		t.Errorf("subject = %v", cert.Subject)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("client certificate verified for server auth")
	}
}

func TestIssueServerAndClient(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	certPEM, _, err := ca.Issue(LeafRequest{CommonName: "etcd-peer", Server: true, Client: true, IPs: []net.IP{net.ParseIP("::1")}})
	if err != nil {
		t.Fatal(err)
	}
	verifyLeaf(t, ca, certPEM, x509.ExtKeyUsageServerAuth)
	verifyLeaf(t, ca, certPEM, x509.ExtKeyUsageClientAuth)
}

func TestIssueWrongCA(t *testing.T) {
	ca, other := mustCA(t, "kubernetes"), mustCA(t, "kubernetes")
	certPEM, _, err := ca.Issue(LeafRequest{CommonName: "x", Server: true})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ParseCertificate(certPEM)
	roots := x509.NewCertPool()
	roots.AddCert(other.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
		t.Error("leaf verified against a CA with the same name but another key")
	}
}

func TestIssueValidity(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	certPEM, _, err := ca.Issue(LeafRequest{CommonName: "x", Client: true, NotBefore: start, Validity: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ParseCertificate(certPEM)
	if !cert.NotBefore.Equal(start) || !cert.NotAfter.Equal(start.Add(30*24*time.Hour)) {
		t.Errorf("validity [%s, %s], want 30 days from %s", cert.NotBefore, cert.NotAfter, start)
	}

	// Never beyond the CA.
	certPEM, _, err = ca.Issue(LeafRequest{CommonName: "x", Client: true, Validity: 20 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = ParseCertificate(certPEM)
	if !cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("NotAfter %s, want capped at CA's %s", cert.NotAfter, ca.Cert.NotAfter)
	}
}

func TestIssueErrors(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	tests := []struct {
		name string
		ca   *CA
		req  LeafRequest
		want string
	}{
		{"no CN", ca, LeafRequest{Server: true}, "common name"},
		{"no usage", ca, LeafRequest{CommonName: "x"}, "neither server nor client"},
		{"negative validity", ca, LeafRequest{CommonName: "x", Client: true, Validity: -time.Second}, "negative validity"},
		{"nil CA", nil, LeafRequest{CommonName: "x", Client: true}, "not initialised"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.ca.Issue(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Issue error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseCertificateSkipsOtherBlocks(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	bundle := append(append([]byte{}, ca.KeyPEM...), ca.CertPEM...)
	cert, err := ParseCertificate(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.Equal(ca.Cert) {
		t.Error("wrong certificate")
	}
	bad := []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	if _, err := ParseCertificate(bad); err == nil {
		t.Error("corrupt certificate: want error")
	}
}
