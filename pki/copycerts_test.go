package pki

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestKubeadmCertsRoundTrip encrypts a cluster's shared files under a fresh
// certificate key and opens them again; another key opens none, and the data keys are
// kubeadm's names.
func TestKubeadmCertsRoundTrip(t *testing.T) {
	p, err := NewClusterPKI("certs")
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewCertificateKey()
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := hex.DecodeString(key); err != nil || len(raw) != CertificateKeySize {
		t.Fatalf("certificate key %d hex chars: %v", len(key), err)
	}
	files := p.Files()
	data, err := EncryptKubeadmCerts(files, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd-ca.crt", "etcd-ca.key"} {
		v, ok := data[name]
		if !ok {
			t.Errorf("no data key %s", name)
		}
		if bytes.Contains(v, []byte("PRIVATE KEY")) || bytes.Contains(v, []byte("CERTIFICATE")) {
			t.Errorf("%s is not encrypted", name)
		}
	}
	if len(data) != len(SharedCAFiles) {
		t.Errorf("%d entries, want %d", len(data), len(SharedCAFiles))
	}
	got, err := DecryptKubeadmCerts(data, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range SharedCAFiles {
		if !bytes.Equal(got[rel], files[rel]) {
			t.Errorf("%s did not round-trip", rel)
		}
	}
	other, err := NewCertificateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptKubeadmCerts(data, other); err == nil {
		t.Error("another key opened kubeadm-certs")
	}
	if _, err := EncryptKubeadmCerts(files, "abcd"); err == nil {
		t.Error("a short key was taken")
	}
	delete(files, CAKeyFile)
	if _, err := EncryptKubeadmCerts(files, key); err == nil {
		t.Error("a missing ca.key was not an error")
	}
}
