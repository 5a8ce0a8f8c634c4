package kubeproc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// leafValidity is how long issued leaf certificates are valid; they are
// issued anew at every Start.
const leafValidity = 365 * 24 * time.Hour

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
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s: not a CA certificate", certFile)
	}
	key, err := loadSigner(keyFile)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, certFile: certFile}, nil
}

// loadSigner reads a PKCS#1, PKCS#8 or SEC 1 private key from a PEM file.
func loadSigner(keyFile string) (crypto.Signer, error) {
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", keyFile)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: unsupported PEM block %q", keyFile, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: key of type %T cannot sign", keyFile, key)
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

// issued is a leaf certificate with its key, in PEM and as written to disk.
type issued struct {
	certPEM, keyPEM   []byte
	certFile, keyFile string
}

// issue creates a key pair and a certificate for it signed by ca, and writes
// them to dir/name.crt and dir/name.key.
func (ca *authority) issue(dir, name string, l leaf) (issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return issued{}, fmt.Errorf("issue %s: %w", name, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return issued{}, fmt.Errorf("issue %s: %w", name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: l.commonName, Organization: l.orgs},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     l.dnsNames,
		IPAddresses:  l.ips,
	}
	if l.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if l.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return issued{}, fmt.Errorf("issue %s: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return issued{}, fmt.Errorf("issue %s: %w", name, err)
	}
	out := issued{
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		certFile: filepath.Join(dir, name+".crt"),
		keyFile:  filepath.Join(dir, name+".key"),
	}
	if err := os.WriteFile(out.certFile, out.certPEM, 0o644); err != nil {
		return issued{}, fmt.Errorf("issue %s: %w", name, err)
	}
	if err := os.WriteFile(out.keyFile, out.keyPEM, 0o600); err != nil {
		return issued{}, fmt.Errorf("issue %s: %w", name, err)
	}
	return out, nil
}

// certs are the leaf certificates a control plane uses.
type certs struct {
	apiServer         issued // kube-apiserver serving
	apiServerEtcd     issued // kube-apiserver -> etcd client
	frontProxyClient  issued // aggregator -> extension API servers
	etcdServer        issued // etcd serving (clients)
	etcdPeer          issued // etcd peer
	controllerManager issued // kube-controller-manager -> kube-apiserver
	scheduler         issued // kube-scheduler -> kube-apiserver
	cmServing         issued // kube-controller-manager serving
	schedServing      issued // kube-scheduler serving
	admin             issued // system:masters client
	caPEM             []byte
}

// issueCerts loads the CAs named in cfg.PKI and issues every leaf certificate
// the control plane needs into dir, the way kubeadm lays them out.
func issueCerts(cfg ControlPlaneConfig, dir string) (*certs, error) {
	ca, err := loadAuthority(cfg.PKI.CACert, cfg.PKI.CAKey)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	etcdCA, err := loadAuthority(cfg.PKI.EtcdCACert, cfg.PKI.EtcdCAKey)
	if err != nil {
		return nil, fmt.Errorf("etcd CA: %w", err)
	}
	frontProxyCA, err := loadAuthority(cfg.PKI.FrontProxyCACert, cfg.PKI.FrontProxyCAKey)
	if err != nil {
		return nil, fmt.Errorf("front-proxy CA: %w", err)
	}
	caPEM, err := os.ReadFile(cfg.PKI.CACert)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o700); err != nil {
		return nil, fmt.Errorf("create certificate dir: %w", err)
	}

	nodeIP := net.ParseIP(cfg.IP)
	localhost := []net.IP{nodeIP, net.IPv4(127, 0, 0, 1)}
	c := &certs{caPEM: caPEM}
	steps := []struct {
		ca   *authority
		name string
		out  *issued
		leaf leaf
	}{
		{ca, "apiserver", &c.apiServer, leaf{
			commonName: "kube-apiserver", server: true,
			dnsNames: []string{cfg.Name, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local", "localhost"},
			ips: []net.IP{nodeIP, net.IP(cfg.firstServiceIP().AsSlice()), net.IPv4(127, 0, 0, 1)},
		}},
		{etcdCA, "apiserver-etcd-client", &c.apiServerEtcd, leaf{commonName: "kube-apiserver-etcd-client", client: true}},
		{frontProxyCA, "front-proxy-client", &c.frontProxyClient, leaf{commonName: "front-proxy-client", client: true}},
		{etcdCA, "etcd/server", &c.etcdServer, leaf{
			commonName: cfg.Name, server: true, client: true,
			dnsNames: []string{cfg.Name, "localhost"}, ips: localhost,
		}},
		{etcdCA, "etcd/peer", &c.etcdPeer, leaf{
			commonName: cfg.Name, server: true, client: true,
			dnsNames: []string{cfg.Name, "localhost"}, ips: localhost,
		}},
		{ca, "controller-manager-client", &c.controllerManager, leaf{commonName: "system:kube-controller-manager", client: true}},
		{ca, "scheduler-client", &c.scheduler, leaf{commonName: "system:kube-scheduler", client: true}},
		{ca, "controller-manager", &c.cmServing, leaf{
			commonName: "kube-controller-manager", server: true,
			dnsNames: []string{cfg.Name, "localhost"}, ips: localhost,
		}},
		{ca, "scheduler", &c.schedServing, leaf{
			commonName: "kube-scheduler", server: true,
			dnsNames: []string{cfg.Name, "localhost"}, ips: localhost,
		}},
		{ca, "admin", &c.admin, leaf{commonName: "kubernetes-admin", orgs: []string{"system:masters"}, client: true}},
	}
	var errs []error
	for _, s := range steps {
		*s.out, err = s.ca.issue(dir, s.name, s.leaf)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}
