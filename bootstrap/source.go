package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// Store is what Source needs from the inventory.
type Store interface {
	GetClusterByID(ctx context.Context, id string) (domain.Cluster, error)
	PutClusterSecret(ctx context.Context, clusterID, name string, plaintext []byte) error
	ClusterSecret(ctx context.Context, clusterID, name string) ([]byte, error)
	UpdateClusterSecret(ctx context.Context, clusterID, name string, next func(current []byte) ([]byte, error)) ([]byte, error)
	DeleteClusterSecret(ctx context.Context, clusterID, name string) error
	ClusterLeases(ctx context.Context, clusterID string) (map[string]netip.Addr, error)
	GetIPPool(ctx context.Context, name string) (domain.IPPool, error)
	VCenterCredentials(ctx context.Context, vcenterID string) (domain.VCenterCredentials, error)
}

// Source reads and keeps clusters' bootstrap material in the inventory,
// where it is sealed. Errors never contain secret values.
type Source struct {
	Store Store
	// Logger says when the service kubeconfig could not be renewed (nil: the
	// default logger).
	Logger *slog.Logger
}

// Prepare makes sure the cluster has its material and the service's own
// kubeconfig (pki.ServiceKubeconfig) for endpoint (host:port). It is idempotent: material made by an earlier
// call is kept (the PKI is written last, so that a crash before it makes
// the next call start over with all-new material).
func (s *Source) Prepare(ctx context.Context, clusterID, endpoint string) error {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return err
	}
	m, err := s.Material(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		if m, err = Generate(c.Name); err != nil {
			return fmt.Errorf("generate material of cluster %s: %w", c.Name, err)
		}
		secrets, err := m.secrets()
		if err != nil {
			return err
		}
		for name, value := range secrets {
			if name == SecretPKI {
				continue
			}
			if err := s.Store.PutClusterSecret(ctx, clusterID, name, value); err != nil {
				return err
			}
		}
		if err := s.Store.PutClusterSecret(ctx, clusterID, SecretPKI, secrets[SecretPKI]); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, err := s.Store.ClusterSecret(ctx, clusterID, SecretAdminKubeconfig); err == nil {
		return nil
	}
	kubeconfig, _, err := pki.ServiceKubeconfig(c.Name, "https://"+endpoint, m.PKI.CA, time.Now())
	if err != nil {
		return fmt.Errorf("service kubeconfig of cluster %s: %w", c.Name, err)
	}
	return s.Store.PutClusterSecret(ctx, clusterID, SecretAdminKubeconfig, kubeconfig)
}

// Material returns the cluster's material; an error wrapping
// domain.ErrNotFound when it has none yet.
func (s *Source) Material(ctx context.Context, clusterID string) (*Material, error) {
	if _, err := s.Store.ClusterSecret(ctx, clusterID, SecretPKI); err != nil {
		return nil, err
	}
	return fromSecrets(func(name string) ([]byte, error) { return s.Store.ClusterSecret(ctx, clusterID, name) })
}

// GuestInfo returns the guestinfo extraConfig of the cluster's VM vmName:
// its cloud-init metadata and userdata (see NodeSpec). It implements the
// vSphere activities' GuestInfoSource. A VM the spec does not plan, or one
// without an address lease, is an error wrapping domain.ErrNotFound.
func (s *Source) GuestInfo(ctx context.Context, clusterID, vmName string) (map[string]string, error) {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	node, err := s.plannedNode(ctx, c, vmName)
	if err != nil {
		return nil, err
	}
	if c.ControlPlaneEndpoint == "" {
		return nil, fmt.Errorf("cluster %s has no control-plane endpoint yet: %w", c.Name, domain.ErrNotFound)
	}
	leases, err := s.Store.ClusterLeases(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	ip, ok := leases[vmName]
	if !ok {
		return nil, fmt.Errorf("node %s holds no address: %w", vmName, domain.ErrNotFound)
	}
	pool, err := s.Store.GetIPPool(ctx, c.Spec.Network.IPPool)
	if err != nil {
		return nil, err
	}
	addr, err := PoolAddress(pool, ip)
	if err != nil {
		return nil, err
	}
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("material of cluster %s: %w", c.Name, err)
	}
	if m, err = s.withJoinToken(ctx, clusterID, m); err != nil {
		return nil, err
	}
	_, leasedVIP := leases[domain.VIPLeaseOwner(c.Name)]
	spec := NodeSpec(Cluster{
		Name: c.Name, KubernetesVersion: c.Spec.KubernetesVersion, PodCIDR: c.Spec.Network.PodCIDR,
		ServiceCIDR: c.Spec.Network.ServiceCIDR, Endpoint: c.ControlPlaneEndpoint,
		VIP: VIPOf(c.ControlPlaneEndpoint, leasedVIP || c.Spec.Network.ControlPlaneEndpoint != ""), Material: m,
	}, node, addr)
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		return nil, fmt.Errorf("render cloud-init of %s: %w", vmName, err)
	}
	return cloudinit.EncodeGuestInfo(md, ud), nil
}

// ClusterSpec returns the cluster's spec with defaults filled in.
func (s *Source) ClusterSpec(ctx context.Context, clusterID string) (domain.ClusterSpec, error) {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return domain.ClusterSpec{}, err
	}
	c.Spec.Defaults()
	return c.Spec, nil
}

// KubeSphereAdminPassword returns the cluster's initial KubeSphere admin password.
func (s *Source) KubeSphereAdminPassword(ctx context.Context, clusterID string) (string, error) {
	pw, err := s.Store.ClusterSecret(ctx, clusterID, SecretKubeSphereAdminPassword)
	return string(pw), err
}

// VCenterCredentials returns the credentials of the cluster's vCenter.
func (s *Source) VCenterCredentials(ctx context.Context, clusterID string) (domain.VCenterCredentials, error) {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return domain.VCenterCredentials{}, err
	}
	return s.Store.VCenterCredentials(ctx, c.VCenterID)
}

// SSHPrivateKey returns the PEM private key that logs in to the cluster's
// nodes. It implements the node activities' Keys.
func (s *Source) SSHPrivateKey(ctx context.Context, clusterID string) ([]byte, error) {
	return s.Store.ClusterSecret(ctx, clusterID, SecretSSHPrivateKey)
}
