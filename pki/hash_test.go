package pki

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"os"
	"testing"
)

func TestCACertHashIndependent(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	der, err := x509.MarshalPKIXPublicKey(ca.Cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("sha256:%x", sha256.Sum256(der))
	if got := CACertHash(ca.Cert); got != want {
		t.Errorf("CACertHash = %s, want %s", got, want)
	}
}

func TestCACertHashOpenSSL(t *testing.T) {
	// The value of kubeadm's documented recipe on testdata/openssl-ca.crt:
	//   openssl x509 -pubkey -noout -in ca.crt |
	//     openssl pkey -pubin -outform der | sha256sum
	const want = "sha256:82f8f205ec5c0b8157cc613be0ee1fbf120df59fba15818ac45ffb10857acb81"
	certPEM, err := os.ReadFile("testdata/openssl-ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if got := CACertHash(cert); got != want {
		t.Errorf("CACertHash = %s, want %s", got, want)
	}
}
