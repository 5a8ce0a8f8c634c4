package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// SecretCertificateKey is the cluster secret holding the certificate key of the
// kubeadm-certs Secret uploaded for a control plane that joins: kept (sealed) only
// while that join runs, so that the node's guestinfo can be rendered with it.
const SecretCertificateKey = "certificate-key"

// SharedCAFiles returns the cluster's shared certificates and keys (see
// pki.SharedCAFiles), keyed by path relative to the certificates directory. It
// implements the Kubernetes activities' CertificateKeys.
func (s *Source) SharedCAFiles(ctx context.Context, clusterID string) (map[string][]byte, error) {
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("material of cluster %s: %w", clusterID, err)
	}
	all := m.PKI.Files()
	out := make(map[string][]byte, len(pki.SharedCAFiles))
	for _, rel := range pki.SharedCAFiles {
		out[rel] = all[rel]
	}
	return out, nil
}

// NodeJoinToken returns the bootstrap token that joining nodes' guestinfo carries:
// the cluster's join token when a Day-2 operation made one, else the day-0 token.
func (s *Source) NodeJoinToken(ctx context.Context, clusterID string) (pki.BootstrapToken, error) {
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return pki.BootstrapToken{}, fmt.Errorf("material of cluster %s: %w", clusterID, err)
	}
	if m, err = s.withJoinToken(ctx, clusterID, m); err != nil {
		return pki.BootstrapToken{}, err
	}
	return m.Token, nil
}

// Day0Token returns the bootstrap token of the cluster's kubeadm init (kept sealed in
// the inventory with the rest of its material), whatever join token a Day-2 operation
// made since.
func (s *Source) Day0Token(ctx context.Context, clusterID string) (pki.BootstrapToken, error) {
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return pki.BootstrapToken{}, fmt.Errorf("material of cluster %s: %w", clusterID, err)
	}
	return m.Token, nil
}

// PutCertificateKey stores (or replaces) the cluster's certificate key, sealed.
func (s *Source) PutCertificateKey(ctx context.Context, clusterID, key string) error {
	return s.Store.PutClusterSecret(ctx, clusterID, SecretCertificateKey, []byte(key))
}

// CertificateKey returns the cluster's certificate key; an error wrapping
// domain.ErrNotFound when it has none.
func (s *Source) CertificateKey(ctx context.Context, clusterID string) (string, error) {
	raw, err := s.Store.ClusterSecret(ctx, clusterID, SecretCertificateKey)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}

// DeleteCertificateKey removes the cluster's certificate key; none is no error.
func (s *Source) DeleteCertificateKey(ctx context.Context, clusterID string) error {
	return s.Store.DeleteClusterSecret(ctx, clusterID, SecretCertificateKey)
}

// certificateKey is the stored certificate key, or "" when there is none.
func (s *Source) certificateKey(ctx context.Context, clusterID string) (string, error) {
	key, err := s.CertificateKey(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("certificate key of cluster %s: %w", clusterID, err)
	}
	return key, nil
}
