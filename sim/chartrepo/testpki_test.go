package chartrepo_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// newTestPKI writes a throwaway cluster PKI into dir, laid out like kubeadm's
// /etc/kubernetes/pki: RSA CAs with PKCS#1 keys and an RSA service-account
// key pair. (A copy of sim/kubeproc's test helper.)
func newTestPKI(t *testing.T, dir string) kubeproc.PKI {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := kubeproc.PKI{
		CACert: filepath.Join(dir, "ca.crt"), CAKey: filepath.Join(dir, "ca.key"),
		EtcdCACert: filepath.Join(dir, "etcd", "ca.crt"), EtcdCAKey: filepath.Join(dir, "etcd", "ca.key"),
		FrontProxyCACert: filepath.Join(dir, "front-proxy-ca.crt"), FrontProxyCAKey: filepath.Join(dir, "front-proxy-ca.key"),
		ServiceAccountKey: filepath.Join(dir, "sa.key"), ServiceAccountPub: filepath.Join(dir, "sa.pub"),
	}
	writeCA(t, "kubernetes", p.CACert, p.CAKey)
	writeCA(t, "etcd-ca", p.EtcdCACert, p.EtcdCAKey)
	writeCA(t, "front-proxy-ca", p.FrontProxyCACert, p.FrontProxyCAKey)

	key := newRSAKey(t)
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.ServiceAccountKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	writePEM(t, p.ServiceAccountPub, "PUBLIC KEY", pub)
	return p
}

func writeCA(t *testing.T, name, certFile, keyFile string) {
	t.Helper()
	key := newRSAKey(t)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
