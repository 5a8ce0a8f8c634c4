package inventory

import (
	"context"
	"fmt"
	"net/netip"
)

// ClusterLeases returns the addresses a cluster holds, by owner (node name).
func (s *Store) ClusterLeases(ctx context.Context, clusterID string) (map[string]netip.Addr, error) {
	rows, err := s.pool.Query(ctx, `SELECT owner, address FROM ip_leases WHERE cluster_id = $1`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("list leases of cluster %s: %w", clusterID, err)
	}
	defer rows.Close()
	leases := map[string]netip.Addr{}
	for rows.Next() {
		var owner string
		var addr netip.Addr
		if err := rows.Scan(&owner, &addr); err != nil {
			return nil, fmt.Errorf("list leases of cluster %s: %w", clusterID, err)
		}
		leases[owner] = addr
	}
	return leases, rows.Err()
}
