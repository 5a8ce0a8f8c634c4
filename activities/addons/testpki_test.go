package addons_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// newTestPKI writes a throwaway cluster PKI into dir, laid out like kubeadm's
// /etc/kubernetes/pki: RSA CAs with PKCS#1 keys and an RSA service-account
// key pair. (sim/chartrepo's test helper, returning errors so that TestMain
// can use it.)
func newTestPKI(dir string) (kubeproc.PKI, error) {
	if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o700); err != nil {
		return kubeproc.PKI{}, err
	}
	p := kubeproc.PKI{
		CACert: filepath.Join(dir, "ca.crt"), CAKey: filepath.Join(dir, "ca.key"),
		EtcdCACert: filepath.Join(dir, "etcd", "ca.crt"), EtcdCAKey: filepath.Join(dir, "etcd", "ca.key"),
		FrontProxyCACert: filepath.Join(dir, "front-proxy-ca.crt"), FrontProxyCAKey: filepath.Join(dir, "front-proxy-ca.key"),
		ServiceAccountKey: filepath.Join(dir, "sa.key"), ServiceAccountPub: filepath.Join(dir, "sa.pub"),
	}
	errs := []error{
		writeCA("kubernetes", p.CACert, p.CAKey),
		writeCA("etcd-ca", p.EtcdCACert, p.EtcdCAKey),
		writeCA("front-proxy-ca", p.FrontProxyCACert, p.FrontProxyCAKey),
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return p, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return p, err
	}
	errs = append(errs,
		writePEM(p.ServiceAccountKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)),
		writePEM(p.ServiceAccountPub, "PUBLIC KEY", pub))
	return p, errors.Join(errs...)
}

func writeCA(name, certFile, keyFile string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
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
		return err
	}
	return errors.Join(
		writePEM(certFile, "CERTIFICATE", der),
		writePEM(keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)))
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
