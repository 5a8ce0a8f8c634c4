package inventory_test

import (
	"context"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// recordClusters registers vCenter "vc1" and records a cluster of each name on it (no
// VMs: the records only), for tests of what the inventory keeps per cluster.
func recordClusters(t *testing.T, s *inventory.Store, names ...string) []domain.Cluster {
	t.Helper()
	ctx := context.Background()
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := s.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	var out []domain.Cluster
	for _, name := range names {
		c, err := s.CreateCluster(ctx, domain.ClusterSpec{Name: name, VCenter: "vc1"}, "alice")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
