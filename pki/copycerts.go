package pki

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Upload-certs (kubeadm's copycerts): a control plane that joins a running cluster
// gets, instead of the CA private keys, a certificate key: it reads the Secret
// kube-system/kubeadm-certs with its bootstrap token and decrypts the shared
// certificates and keys with that key.
const (
	// KubeadmCertsSecret is the name of the Secret in kube-system that carries the
	// encrypted shared certificates and keys, as kubeadm names it.
	KubeadmCertsSecret = "kubeadm-certs"
	// KubeadmCertsRole is the Role (and RoleBinding) kubeadm makes so that joining
	// nodes' bootstrap tokens may read KubeadmCertsSecret.
	KubeadmCertsRole = "kubeadm:kubeadm-certs"
	// CertificateKeySize is the size in bytes of a certificate key (AES-256).
	CertificateKeySize = 32
)

// SharedCAFiles are the files, relative to the certificates directory, that every
// control plane shares and that kubeadm-certs transfers: the cluster CA, the
// service-account key pair, the front-proxy CA and the etcd CA, keys included.
var SharedCAFiles = []string{
	CACertFile, CAKeyFile,
	ServiceAccountKeyFile, ServiceAccountPubFile,
	FrontProxyCACertFile, FrontProxyCAKeyFile,
	EtcdCACertFile, EtcdCAKeyFile,
}

// NewCertificateKey returns a fresh random certificate key, hex-encoded as
// kubeadm prints and takes it.
func NewCertificateKey() (string, error) {
	b := make([]byte, CertificateKeySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pki: certificate key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// KubeadmCertsDataKey is the data key of a shared file in KubeadmCertsSecret: its
// path relative to the certificates directory with "/" replaced by "-" (etcd/ca.crt
// is etcd-ca.crt).
func KubeadmCertsDataKey(rel string) string {
	return strings.ReplaceAll(rel, "/", "-")
}

// certificateAEAD is AES-256-GCM under the hex certificate key.
func certificateAEAD(keyHex string) (cipher.AEAD, error) {
	key, err := hex.DecodeString(keyHex)
	if err != nil || len(key) != CertificateKeySize {
		return nil, fmt.Errorf("pki: a certificate key is %d hex-encoded bytes", CertificateKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pki: certificate key: %w", err)
	}
	return cipher.NewGCM(block)
}

// EncryptKubeadmCerts returns the data of KubeadmCertsSecret: every file of
// SharedCAFiles, which files must all hold, encrypted with AES-256-GCM under the
// certificate key (a random nonce, then the sealed bytes, as kubeadm encrypts them).
func EncryptKubeadmCerts(files map[string][]byte, keyHex string) (map[string][]byte, error) {
	aead, err := certificateAEAD(keyHex)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(SharedCAFiles))
	for _, rel := range SharedCAFiles {
		plain := files[rel]
		if len(plain) == 0 {
			return nil, fmt.Errorf("pki: kubeadm-certs: no %s", rel)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("pki: kubeadm-certs nonce: %w", err)
		}
		out[KubeadmCertsDataKey(rel)] = aead.Seal(nonce, nonce, plain, nil)
	}
	return out, nil
}

// DecryptKubeadmCerts is the inverse of EncryptKubeadmCerts: the shared files keyed
// by their path relative to the certificates directory. A missing entry, or one that
// does not open under the key, is an error that names the entry only.
func DecryptKubeadmCerts(data map[string][]byte, keyHex string) (map[string][]byte, error) {
	aead, err := certificateAEAD(keyHex)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(SharedCAFiles))
	var errs []error
	for _, rel := range SharedCAFiles {
		sealed, ok := data[KubeadmCertsDataKey(rel)]
		if !ok {
			errs = append(errs, fmt.Errorf("no %s", KubeadmCertsDataKey(rel)))
			continue
		}
		if len(sealed) < aead.NonceSize() {
			errs = append(errs, fmt.Errorf("%s is too short", KubeadmCertsDataKey(rel)))
			continue
		}
		plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s does not open under the certificate key", KubeadmCertsDataKey(rel)))
			continue
		}
		out[rel] = plain
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("pki: kubeadm-certs: %w", err)
	}
	return out, nil
}
