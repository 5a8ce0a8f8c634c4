package kubeproc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// defaultLeafValidity is how long issued leaf certificates are valid unless
// configured otherwise: one year, as kubeadm's.
const defaultLeafValidity = 365 * 24 * time.Hour

// authority is a loaded certificate authority.
type authority struct {
	cert     *x509.Certificate
	key      crypto.Signer
	certFile string
}

// loadAuthority reads a CA certificate and its private key from PEM files.
func loadAuthority(certFile, keyFile string) (*authority, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s: not a CA certificate", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	key, err := parseSignerPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	return &authority{cert: cert, key: key, certFile: certFile}, nil
}

// parseCertPEM parses the first PEM block of certPEM as a certificate.
func parseCertPEM(certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// parseSignerPEM reads a PKCS#1, PKCS#8 or SEC 1 private key from PEM.
func parseSignerPEM(keyPEM []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key of type %T cannot sign", key)
	}
	return signer, nil
}

// leaf describes a certificate to issue.
type leaf struct {
	commonName string
	orgs       []string
	server     bool // serving certificate (ExtKeyUsageServerAuth)
	client     bool // client certificate (ExtKeyUsageClientAuth)
	dnsNames   []string
	ips        []net.IP
}

// issued is a leaf certificate with its key, in PEM.
type issued struct {
	certPEM, keyPEM []byte
}

// issue creates a key pair and a certificate for it signed by ca.
func (ca *authority) issue(l leaf, validity time.Duration) (issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return issued{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return issued{}, err
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: l.commonName, Organization: l.orgs},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		DNSNames:              l.dnsNames,
		IPAddresses:           l.ips,
	}
	if l.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if l.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return issued{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return issued{}, err
	}
	return issued{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// check reports why c cannot serve as l signed by ca at now, or nil if it can.
// A certificate may carry more names than l asks for, not fewer.
func (ca *authority) check(c issued, l leaf, now time.Time) error {
	pair, err := tls.X509KeyPair(c.certPEM, c.keyPEM)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	if err := cert.CheckSignatureFrom(ca.cert); err != nil {
		return fmt.Errorf("not signed by %s: %w", ca.certFile, err)
	}
	if now.Before(cert.NotBefore) || !now.Before(cert.NotAfter) {
		return fmt.Errorf("not valid at %s (valid %s to %s)", now.Format(time.RFC3339),
			cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	}
	if cert.Subject.CommonName != l.commonName {
		return fmt.Errorf("common name %q, want %q", cert.Subject.CommonName, l.commonName)
	}
	if !slices.Equal(slices.Sorted(slices.Values(cert.Subject.Organization)), slices.Sorted(slices.Values(l.orgs))) {
		return fmt.Errorf("organizations %q, want %q", cert.Subject.Organization, l.orgs)
	}
	if l.server && !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return errors.New("no server authentication usage")
	}
	if l.client && !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return errors.New("no client authentication usage")
	}
	for _, name := range l.dnsNames {
		if !slices.Contains(cert.DNSNames, name) {
			return fmt.Errorf("missing DNS name %q", name)
		}
	}
	for _, ip := range l.ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return fmt.Errorf("missing IP address %s", ip)
		}
	}
	return nil
}

// certFiles are the paths of a certificate and its key.
type certFiles struct {
	cert, key string
}

// pairFiles names the files dir/base.crt and dir/base.key.
func pairFiles(dir, base string) certFiles {
	return certFiles{cert: filepath.Join(dir, base+".crt"), key: filepath.Join(dir, base+".key")}
}

// ensureFiles returns the certificate and key in f if they are a valid l
// signed by ca, and otherwise issues a new pair and writes it there. So a
// certificate is issued once and reused on later starts, until it expires,
// is removed, or no longer fits (another CA, a missing name). With renew
// it always issues a new pair.
func (ca *authority) ensureFiles(f certFiles, l leaf, validity time.Duration, renew bool) (issued, bool, error) {
	certPEM, certErr := os.ReadFile(f.cert)
	keyPEM, keyErr := os.ReadFile(f.key)
	if certErr == nil && keyErr == nil && !renew {
		existing := issued{certPEM: certPEM, keyPEM: keyPEM}
		if ca.check(existing, l, time.Now()) == nil {
			return existing, false, nil
		}
	}
	c, err := ca.issue(l, validity)
	if err != nil {
		return issued{}, false, fmt.Errorf("issue %s: %w", f.cert, err)
	}
	if err := os.MkdirAll(filepath.Dir(f.cert), 0o755); err != nil {
		return issued{}, false, err
	}
	if err := os.WriteFile(f.key, c.keyPEM, 0o600); err != nil {
		return issued{}, false, fmt.Errorf("write %s: %w", f.key, err)
	}
	if err := os.WriteFile(f.cert, c.certPEM, 0o644); err != nil {
		return issued{}, false, fmt.Errorf("write %s: %w", f.cert, err)
	}
	return c, true, nil
}
