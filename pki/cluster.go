package pki

import (
	"crypto/x509/pkix"
	"errors"
	"fmt"
)

// Common names of the cluster CAs, as kubeadm names them.
const (
	CACommonName           = "kubernetes"
	EtcdCACommonName       = "etcd-ca"
	FrontProxyCACommonName = "front-proxy-ca"
)

// Paths of the shared cluster PKI files, relative to the kubeadm
// certificates directory (/etc/kubernetes/pki), as kubeadm names them.
const (
	CACertFile            = "ca.crt"
	CAKeyFile             = "ca.key"
	EtcdCACertFile        = "etcd/ca.crt"
	EtcdCAKeyFile         = "etcd/ca.key"
	FrontProxyCACertFile  = "front-proxy-ca.crt"
	FrontProxyCAKeyFile   = "front-proxy-ca.key"
	ServiceAccountKeyFile = "sa.key"
	ServiceAccountPubFile = "sa.pub"
)

// ClusterPKI is the material shared by every control-plane node of a
// cluster: the three CAs and the service-account key pair. Given these,
// kubeadm generates every other certificate on the node itself.
type ClusterPKI struct {
	CA           *CA
	EtcdCA       *CA
	FrontProxyCA *CA
	// ServiceAccountKey and ServiceAccountPub are sa.key and sa.pub (PEM).
	ServiceAccountKey []byte
	ServiceAccountPub []byte
}

// NewClusterPKI generates the shared PKI for the cluster clusterName. The
// CAs have kubeadm's common names and validity (ten years); in addition
// their subject carries the cluster name as OrganizationalUnit, so that a
// CA found in the wild can be traced back to its cluster.
func NewClusterPKI(clusterName string) (*ClusterPKI, error) {
	if clusterName == "" {
		return nil, errors.New("pki: cluster name is required")
	}
	newClusterCA := func(cn string) (*CA, error) {
		ca, err := newCA(pkix.Name{CommonName: cn, OrganizationalUnit: []string{clusterName}}, 0)
		if err != nil {
			return nil, fmt.Errorf("pki: cluster %q: %w", clusterName, err)
		}
		return ca, nil
	}
	p := &ClusterPKI{}
	var err error
	if p.CA, err = newClusterCA(CACommonName); err != nil {
		return nil, err
	}
	if p.EtcdCA, err = newClusterCA(EtcdCACommonName); err != nil {
		return nil, err
	}
	if p.FrontProxyCA, err = newClusterCA(FrontProxyCACommonName); err != nil {
		return nil, err
	}
	if p.ServiceAccountKey, p.ServiceAccountPub, err = NewServiceAccountKeyPair(); err != nil {
		return nil, fmt.Errorf("pki: cluster %q: %w", clusterName, err)
	}
	return p, nil
}

// Files returns the PKI as files keyed by their path relative to the
// certificates directory (CACertFile, EtcdCAKeyFile, ...), ready to be
// placed on a control-plane node before kubeadm runs.
func (p *ClusterPKI) Files() map[string][]byte {
	return map[string][]byte{
		CACertFile:            p.CA.CertPEM,
		CAKeyFile:             p.CA.KeyPEM,
		EtcdCACertFile:        p.EtcdCA.CertPEM,
		EtcdCAKeyFile:         p.EtcdCA.KeyPEM,
		FrontProxyCACertFile:  p.FrontProxyCA.CertPEM,
		FrontProxyCAKeyFile:   p.FrontProxyCA.KeyPEM,
		ServiceAccountKeyFile: p.ServiceAccountKey,
		ServiceAccountPubFile: p.ServiceAccountPub,
	}
}

// ParseClusterPKI is the inverse of Files: it loads the CAs and the
// service-account key pair from files keyed by relative path.
func ParseClusterPKI(files map[string][]byte) (*ClusterPKI, error) {
	parse := func(certPath, keyPath string) (*CA, error) {
		cert, key := files[certPath], files[keyPath]
		if cert == nil || key == nil {
			return nil, fmt.Errorf("pki: missing %s or %s", certPath, keyPath)
		}
		ca, err := ParseCA(cert, key)
		if err != nil {
			return nil, fmt.Errorf("pki: %s: %w", certPath, err)
		}
		return ca, nil
	}
	p := &ClusterPKI{}
	var err error
	if p.CA, err = parse(CACertFile, CAKeyFile); err != nil {
		return nil, err
	}
	if p.EtcdCA, err = parse(EtcdCACertFile, EtcdCAKeyFile); err != nil {
		return nil, err
	}
	if p.FrontProxyCA, err = parse(FrontProxyCACertFile, FrontProxyCAKeyFile); err != nil {
		return nil, err
	}
	p.ServiceAccountKey, p.ServiceAccountPub = files[ServiceAccountKeyFile], files[ServiceAccountPubFile]
	if p.ServiceAccountKey == nil || p.ServiceAccountPub == nil {
		return nil, fmt.Errorf("pki: missing %s or %s", ServiceAccountKeyFile, ServiceAccountPubFile)
	}
	sa, err := parsePrivateKey(p.ServiceAccountKey)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", ServiceAccountKeyFile, err)
	}
	pub, err := parsePublicKey(p.ServiceAccountPub)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", ServiceAccountPubFile, err)
	}
	if !publicKeysEqual(pub, sa.Public()) {
		return nil, fmt.Errorf("pki: %s does not match %s", ServiceAccountPubFile, ServiceAccountKeyFile)
	}
	return p, nil
}
