package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"time"
)

// DefaultLeafValidity is the lifetime of a leaf certificate when none is
// given: one year, as kubeadm's CertificateValidityPeriod.
const DefaultLeafValidity = 365 * 24 * time.Hour

// LeafRequest describes a leaf certificate to issue.
type LeafRequest struct {
	// CommonName is the subject CN (for client certificates, the
	// Kubernetes user name).
	CommonName string
	// Organizations are the subject O values (for client certificates,
	// the Kubernetes groups).
	Organizations []string
	// DNSNames and IPs are the subject alternative names.
	DNSNames []string
	IPs      []net.IP
	// Server and Client select the extended key usages; at least one is
	// required.
	Server, Client bool
	// Validity is the lifetime; zero means DefaultLeafValidity.
	Validity time.Duration
	// NotBefore is the start of validity; zero means now minus five
	// minutes. Tests set it to make certificates that are about to
	// expire or already expired.
	NotBefore time.Time
}

// Issue creates an ECDSA P-256 key and a certificate for it signed by ca,
// and returns both in PEM form ("CERTIFICATE" and "EC PRIVATE KEY").
//
// The certificate never outlives the CA: NotAfter is capped at the CA's
// NotAfter.
func (ca *CA) Issue(req LeafRequest) (certPEM, keyPEM []byte, err error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, nil, errors.New("pki: issue: CA is not initialised")
	}
	if req.CommonName == "" {
		return nil, nil, errors.New("pki: issue: common name is required")
	}
	if !req.Server && !req.Client {
		return nil, nil, fmt.Errorf("pki: issue %q: request neither server nor client usage", req.CommonName)
	}
	if req.Validity < 0 {
		return nil, nil, fmt.Errorf("pki: issue %q: negative validity %s", req.CommonName, req.Validity)
	}
	validity := req.Validity
	if validity == 0 {
		validity = DefaultLeafValidity
	}
	notBefore := req.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-certificateBackdate)
	}
	notBefore = notBefore.UTC()
	notAfter := notBefore.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}

	var usages []x509.ExtKeyUsage
	if req.Server {
		usages = append(usages, x509.ExtKeyUsageServerAuth)
	}
	if req.Client {
		usages = append(usages, x509.ExtKeyUsageClientAuth)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: issue %q: generate key: %w", req.CommonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   req.CommonName,
			Organization: req.Organizations,
		},
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPs,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usages,
		BasicConstraintsValid: true,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: issue %q: create certificate: %w", req.CommonName, err)
	}
	keyPEM, err = encodePrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCertificate(der), keyPEM, nil
}
