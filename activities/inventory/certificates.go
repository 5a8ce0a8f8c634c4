package inventory

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
)

// ErrTypeNoControlPlane: the inventory knows no control-plane node of the cluster with
// an address, so there is nowhere to check or renew certificates.
const ErrTypeNoControlPlane = "NoControlPlaneNodes"

// ControlPlaneNodes returns the recorded control-plane nodes of a cluster, in the
// inventory's order (by name). A cluster without one fails without retry.
func (a *ClusterActivities) ControlPlaneNodes(ctx context.Context, clusterID string) ([]domain.Node, error) {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	var cps []domain.Node
	for _, n := range c.Nodes {
		if n.Role == domain.RoleNameControlPlane && n.IP != "" {
			cps = append(cps, n)
		}
	}
	if len(cps) == 0 {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("cluster %s has no recorded control-plane node with an address", c.Name), ErrTypeNoControlPlane, nil)
	}
	return cps, nil
}

// CertificatesUpdate is the outcome of a certificate check of a cluster.
type CertificatesUpdate struct {
	ClusterID    string               `json:"cluster_id"`
	Certificates []domain.Certificate `json:"certificates"`
}

// RecordCertificates replaces the cluster's recorded certificates with the checked
// ones, and its certificate expiry with their earliest.
func (a *ClusterActivities) RecordCertificates(ctx context.Context, u CertificatesUpdate) error {
	return a.Store.ReplaceCertificates(ctx, u.ClusterID, u.Certificates)
}

// ReissueAdminKubeconfig replaces the service's admin kubeconfig of the cluster with
// one holding a new client certificate from the cluster CA, and returns what a check
// records of the new certificate (never its key).
func (a *ClusterActivities) ReissueAdminKubeconfig(ctx context.Context, clusterID string) (domain.Certificate, error) {
	if _, err := a.cluster(ctx, clusterID); err != nil {
		return domain.Certificate{}, err
	}
	cert, err := a.Bootstrap.ReissueAdminKubeconfig(ctx, clusterID)
	if err != nil {
		return domain.Certificate{}, fmt.Errorf("re-issue the admin kubeconfig of cluster %s: %w", clusterID, err)
	}
	now := time.Now()
	return domain.Certificate{
		Name: "admin-kubeconfig", Subject: cert.Subject.CommonName, CAName: "ca",
		NotAfter: cert.NotAfter.UTC(), DaysLeft: domain.DaysUntil(cert.NotAfter, now),
		Source: domain.CertSourceServiceKubeconfig, CheckedAt: now.UTC(),
	}, nil
}
