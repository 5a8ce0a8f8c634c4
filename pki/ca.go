package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"
)

const (
	// DefaultCAValidity is the lifetime of a CA certificate when none is
	// given: ten years, as kubeadm's CACertificateValidityPeriod.
	DefaultCAValidity = 10 * 365 * 24 * time.Hour

	// certificateBackdate is subtracted from "now" for NotBefore, to
	// tolerate clock skew between the service and the nodes (kubeadm's
	// CertificateBackdate).
	certificateBackdate = 5 * time.Minute
)

// CA is a certificate authority: its certificate and private key, both
// parsed and in the PEM form written to disk (ca.crt / ca.key).
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA creates a self-signed CA with an ECDSA P-256 key. A zero validity
// means DefaultCAValidity. Like kubeadm, the certificate also carries the
// common name as a DNS name and is backdated by five minutes.
func NewCA(commonName string, validity time.Duration) (*CA, error) {
	return newCA(pkix.Name{CommonName: commonName}, validity)
}

func newCA(subject pkix.Name, validity time.Duration) (*CA, error) {
	if subject.CommonName == "" {
		return nil, errors.New("pki: CA common name is required")
	}
	if validity < 0 {
		return nil, fmt.Errorf("pki: CA %q: negative validity %s", subject.CommonName, validity)
	}
	if validity == 0 {
		validity = DefaultCAValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: CA %q: generate key: %w", subject.CommonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	notBefore := time.Now().Add(-certificateBackdate).UTC()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		DNSNames:              []string{subject.CommonName},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: CA %q: create certificate: %w", subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: CA %q: parse certificate: %w", subject.CommonName, err)
	}
	keyPEM, err := encodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: encodeCertificate(der), KeyPEM: keyPEM}, nil
}

// ParseCA loads a CA from its PEM certificate and private key (SEC 1,
// PKCS #1 or PKCS #8). It fails if the certificate is not a CA or the key
// does not belong to the certificate.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("pki: certificate %q is not a CA", cert.Subject.CommonName)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("pki: CA key does not match certificate %q", cert.Subject.CommonName)
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// publicKeysEqual reports whether a and b are the same public key.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}
