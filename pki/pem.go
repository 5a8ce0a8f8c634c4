package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEM block types, as kubeadm (client-go keyutil) writes them.
const (
	certificateBlockType   = "CERTIFICATE"
	ecPrivateKeyBlockType  = "EC PRIVATE KEY"
	rsaPrivateKeyBlockType = "RSA PRIVATE KEY"
	privateKeyBlockType    = "PRIVATE KEY"
	publicKeyBlockType     = "PUBLIC KEY"
)

// ParseCertificate parses the first CERTIFICATE block of certPEM.
func ParseCertificate(certPEM []byte) (*x509.Certificate, error) {
	rest := certPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("pki: no CERTIFICATE PEM block found")
		}
		if block.Type != certificateBlockType {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: parse certificate: %w", err)
		}
		return cert, nil
	}
}

// encodeCertificate returns the PEM encoding of a DER certificate.
func encodeCertificate(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: certificateBlockType, Bytes: der})
}

// encodePrivateKey returns the PEM encoding kubeadm uses for key: SEC 1
// ("EC PRIVATE KEY") for ECDSA and PKCS #1 ("RSA PRIVATE KEY") for RSA.
func encodePrivateKey(key crypto.Signer) ([]byte, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("pki: marshal ECDSA key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: ecPrivateKeyBlockType, Bytes: der}), nil
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: rsaPrivateKeyBlockType, Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	default:
		return nil, fmt.Errorf("pki: unsupported private key type %T", key)
	}
}

// parsePrivateKey parses the first private key block of keyPEM, accepting
// SEC 1, PKCS #1 and PKCS #8 encodings.
func parsePrivateKey(keyPEM []byte) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("pki: no private key PEM block found")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case ecPrivateKeyBlockType:
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case rsaPrivateKeyBlockType:
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case privateKeyBlockType:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pki: parse %s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("pki: private key type %T cannot sign", key)
		}
		return signer, nil
	}
}

// parsePublicKey parses the first "PUBLIC KEY" (PKIX) block of pubPEM.
func parsePublicKey(pubPEM []byte) (crypto.PublicKey, error) {
	rest := pubPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("pki: no PUBLIC KEY PEM block found")
		}
		if block.Type != publicKeyBlockType {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: parse public key: %w", err)
		}
		return pub, nil
	}
}
