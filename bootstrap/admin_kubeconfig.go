package bootstrap

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/pki"
)

// ReissueAdminKubeconfig replaces the cluster's admin kubeconfig (the service's own
// identity) with one holding a new client certificate signed by the cluster CA from
// its sealed material, for the same API server, and returns the new certificate (its
// key stays in the sealed kubeconfig).
func (s *Source) ReissueAdminKubeconfig(ctx context.Context, clusterID string) (*x509.Certificate, error) {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("material of cluster %s: %w", c.Name, err)
	}
	server := "https://" + c.ControlPlaneEndpoint
	if old, err := s.AdminKubeconfig(ctx, clusterID); err == nil {
		if cfg, err := clientcmd.RESTConfigFromKubeConfig(old); err == nil && cfg.Host != "" {
			server = cfg.Host
		}
	}
	kubeconfig, err := pki.AdminKubeconfig(c.Name, server, m.PKI.CA)
	if err != nil {
		return nil, fmt.Errorf("admin kubeconfig of cluster %s: %w", c.Name, err)
	}
	cert, err := KubeconfigClientCertificate(kubeconfig)
	if err != nil {
		return nil, err
	}
	if err := s.Store.PutClusterSecret(ctx, clusterID, SecretAdminKubeconfig, kubeconfig); err != nil {
		return nil, err
	}
	return cert, nil
}

// KubeconfigClientCertificate parses the client certificate of the current user of a
// kubeconfig. Errors never quote the kubeconfig.
func KubeconfigClientCertificate(kubeconfig []byte) (*x509.Certificate, error) {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, errors.New("the kubeconfig does not load")
	}
	block, _ := pem.Decode(cfg.CertData)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("the kubeconfig's user has no embedded client certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig's client certificate: %w", err)
	}
	return cert, nil
}
