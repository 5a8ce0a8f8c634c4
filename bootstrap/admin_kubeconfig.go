package bootstrap

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/pki"
)

// AdminKubeconfig returns the service's own kubeconfig of the cluster (the secret
// SecretAdminKubeconfig), which every activity that talks to the cluster's API server
// loads through this method. It renews it first when a third of its lifetime or less is
// left: a new certificate from the cluster CA, stored sealed; concurrent callers renew it
// once (the secret's row is locked while it is replaced). The system:masters kubeconfig
// of a cluster made before the service had an identity of its own is replaced, when
// due, only after EnsureAccess has bound the new identity in the cluster; until that
// works the old one (still valid) is returned. Never hand this kubeconfig to a caller
// of the API: personal ones come from IssueUserKubeconfig.
func (s *Source) AdminKubeconfig(ctx context.Context, clusterID string) ([]byte, error) {
	kubeconfig, err := s.Store.ClusterSecret(ctx, clusterID, SecretAdminKubeconfig)
	if err != nil {
		return nil, err
	}
	cert := certificateOf(kubeconfig)
	if cert == nil || !pki.RenewalDue(cert, time.Now()) {
		return kubeconfig, nil
	}
	if pki.IsMasters(cert) {
		if err := s.EnsureAccess(ctx, clusterID); err != nil {
			s.logger().WarnContext(ctx, "the service kubeconfig is due for renewal but its successor cannot be bound yet",
				"cluster_id", clusterID, "not_after", cert.NotAfter, "error", err)
			return kubeconfig, nil
		}
		return s.Store.ClusterSecret(ctx, clusterID, SecretAdminKubeconfig)
	}
	return s.renewService(ctx, clusterID, false)
}

// renewService replaces the service kubeconfig with a new certificate of the service's
// identity when always is set or when the stored one is due; it returns the stored one
// after.
func (s *Source) renewService(ctx context.Context, clusterID string, always bool) ([]byte, error) {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("material of cluster %s: %w", c.Name, err)
	}
	endpoint := ""
	if c.ControlPlaneEndpoint != "" {
		endpoint = "https://" + c.ControlPlaneEndpoint
	}
	now := time.Now()
	kubeconfig, err := s.Store.UpdateClusterSecret(ctx, clusterID, SecretAdminKubeconfig, func(current []byte) ([]byte, error) {
		if cert := certificateOf(current); !always && cert != nil && !pki.IsMasters(cert) && !pki.RenewalDue(cert, now) {
			return current, nil // renewed by someone else meanwhile
		}
		next, _, err := pki.ServiceKubeconfig(c.Name, serverOf(current, endpoint), m.PKI.CA, now)
		return next, err
	})
	if err != nil {
		return nil, fmt.Errorf("renew the service kubeconfig of cluster %s: %w", c.Name, err)
	}
	return kubeconfig, nil
}

// ReissueAdminKubeconfig replaces the cluster's service kubeconfig with one holding a new
// client certificate of the service's identity, signed by the cluster CA from its sealed
// material, for the same API server, and returns the new certificate (its key stays in
// the sealed kubeconfig). The renewal workflow calls it and then waits for the API
// server, which (re)installs the AccessBindings that authorize the identity.
func (s *Source) ReissueAdminKubeconfig(ctx context.Context, clusterID string) (*x509.Certificate, error) {
	kubeconfig, err := s.renewService(ctx, clusterID, true)
	if err != nil {
		return nil, err
	}
	return KubeconfigClientCertificate(kubeconfig)
}

// logger is s.Logger or the default logger.
func (s *Source) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
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
