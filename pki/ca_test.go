package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"
)

func mustCA(t *testing.T, cn string) *CA {
	t.Helper()
	ca, err := NewCA(cn, 0)
	if err != nil {
		t.Fatalf("NewCA(%q): %v", cn, err)
	}
	return ca
}

func TestNewCA(t *testing.T) {
	before := time.Now()
	ca := mustCA(t, "kubernetes")
	c := ca.Cert

	if !c.IsCA || !c.BasicConstraintsValid {
		t.Errorf("IsCA=%v BasicConstraintsValid=%v, want both true", c.IsCA, c.BasicConstraintsValid)
	}
	if c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("KeyUsage %b lacks CertSign", c.KeyUsage)
	}
	if c.Subject.CommonName != "kubernetes" {
		t.Errorf("CN = %q", c.Subject.CommonName)
	}
	if len(c.SubjectKeyId) == 0 {
		t.Error("SubjectKeyId not set")
	}
	if bits := c.SerialNumber.BitLen(); bits > 128 || bits < 64 {
		t.Errorf("serial has %d bits, want a random 128-bit number", bits)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
	}
	if got := c.NotAfter.Sub(c.NotBefore); got != DefaultCAValidity {
		t.Errorf("validity %s, want %s", got, DefaultCAValidity)
	}
	if !c.NotBefore.Before(before) {
		t.Errorf("NotBefore %s not backdated before %s", c.NotBefore, before)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if !bytes.HasPrefix(ca.KeyPEM, []byte("-----BEGIN EC PRIVATE KEY-----")) {
		t.Errorf("key PEM is not SEC 1: %.40q", ca.KeyPEM)
	}
	if other := mustCA(t, "kubernetes"); other.Cert.SerialNumber.Cmp(c.SerialNumber) == 0 {
		t.Error("two CAs share a serial number")
	}
}

func TestNewCAValidity(t *testing.T) {
	ca, err := NewCA("short", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := ca.Cert.NotAfter.Sub(ca.Cert.NotBefore); got != 48*time.Hour {
		t.Errorf("validity %s, want 48h", got)
	}
	if _, err := NewCA("", 0); err == nil {
		t.Error("NewCA with empty CN: want error")
	}
	if _, err := NewCA("x", -time.Hour); err == nil {
		t.Error("NewCA with negative validity: want error")
	}
}

func TestParseCARoundTrip(t *testing.T) {
	ca := mustCA(t, "etcd-ca")
	got, err := ParseCA(ca.CertPEM, ca.KeyPEM)
	if err != nil {
		t.Fatalf("ParseCA: %v", err)
	}
	if !got.Cert.Equal(ca.Cert) {
		t.Error("parsed certificate differs")
	}
	if !publicKeysEqual(got.Key.Public(), ca.Key.Public()) {
		t.Error("parsed key differs")
	}
	// The parsed CA must be able to issue.
	certPEM, _, err := got.Issue(LeafRequest{CommonName: "x", Client: true})
	if err != nil {
		t.Fatalf("Issue from parsed CA: %v", err)
	}
	verifyLeaf(t, ca, certPEM, x509.ExtKeyUsageClientAuth)
}

func TestParseCAOpenSSL(t *testing.T) {
	// A CA made by `openssl req -x509 -newkey ec`, its key in PKCS #8.
	certPEM, err := os.ReadFile("testdata/openssl-ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile("testdata/openssl-ca.key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCA(certPEM, keyPEM); err != nil {
		t.Fatalf("ParseCA(openssl PKCS #8): %v", err)
	}
}

func TestParseCAErrors(t *testing.T) {
	a, b := mustCA(t, "a"), mustCA(t, "b")
	leafCert, leafKey, err := a.Issue(LeafRequest{CommonName: "leaf", Server: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{"mismatched key", a.CertPEM, b.KeyPEM, "does not match"},
		{"not a CA", leafCert, leafKey, "not a CA"},
		{"no certificate", []byte("junk"), a.KeyPEM, "no CERTIFICATE"},
		{"no key", a.CertPEM, a.CertPEM, "no private key"},
		{"corrupt key", a.CertPEM, []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), "parse EC PRIVATE KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCA(tt.cert, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseCA error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
