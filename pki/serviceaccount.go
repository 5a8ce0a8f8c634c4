package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// serviceAccountKeyBits is the RSA key size of the service-account signing
// key, kubeadm's default (EncryptionAlgorithm RSA-2048).
const serviceAccountKeyBits = 2048

// NewServiceAccountKeyPair creates the key pair with which kube-apiserver
// signs and verifies service-account tokens, encoded as kubeadm writes
// sa.key ("RSA PRIVATE KEY", PKCS #1) and sa.pub ("PUBLIC KEY", PKIX).
func NewServiceAccountKeyPair() (privateKeyPEM, publicKeyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, serviceAccountKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate service-account key: %w", err)
	}
	privateKeyPEM, err = encodePrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("pki: marshal service-account public key: %w", err)
	}
	publicKeyPEM = pem.EncodeToMemory(&pem.Block{Type: publicKeyBlockType, Bytes: der})
	return privateKeyPEM, publicKeyPEM, nil
}
