package inventory

import (
	"context"

	"github.com/clusterwright/clusterwright/domain"
)

// VCenterClusters lists the live clusters on a vCenter (id and name), those whose
// vSphere drivers hold its cluster account.
func (a *Activities) VCenterClusters(ctx context.Context, vcenterID string) ([]domain.ClusterRef, error) {
	return a.Store.VCenterClusters(ctx, vcenterID)
}
