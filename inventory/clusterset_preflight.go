package inventory

import (
	"context"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
)

// addonAntrea is the name under which provisioning records the Antrea add-on.
const addonAntrea = "antrea"

// PreflightClusterSet checks a ClusterSet spec that passed Validate against what the
// inventory records (domain.CheckClusterSet): every cluster exists, is Ready, runs Antrea
// and is in no set; their pod and service CIDRs are pairwise disjoint; no two names form
// a dash-prefix pair; each gateway node is a node of its cluster. A spec that fails
// returns a *domain.ValidationError naming each bad field; other errors are the
// database's. It writes nothing.
func (s *Store) PreflightClusterSet(ctx context.Context, spec domain.ClusterSetSpec) error {
	facts, err := s.ClusterSetFacts(ctx, spec.Clusters())
	if err != nil {
		return err
	}
	if v := domain.CheckClusterSet(spec, facts); v != nil {
		return v
	}
	return nil
}

// PreflightJoin checks a join request that passed Validate against the inventory and the
// members of set (domain.CheckJoin). It writes nothing.
func (s *Store) PreflightJoin(ctx context.Context, set domain.ClusterSet, join domain.ClusterSetJoin) error {
	names := []string{join.Cluster}
	for _, m := range set.Members {
		names = append(names, m.Cluster)
	}
	facts, err := s.ClusterSetFacts(ctx, names)
	if err != nil {
		return err
	}
	if v := domain.CheckJoin(set, join, facts); v != nil {
		return v
	}
	return nil
}

// ClusterSetFacts returns what the inventory records of the live clusters named, by name;
// a name without a live cluster has no entry.
func (s *Store) ClusterSetFacts(ctx context.Context, names []string) (map[string]*domain.SetClusterFacts, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.name, c.phase, c.spec,
			EXISTS (SELECT 1 FROM cluster_addons a WHERE a.cluster_id = c.id AND a.name = $2),
			coalesce(s.name, ''),
			array(SELECT n.name FROM nodes n WHERE n.cluster_id = c.id ORDER BY n.name)
		FROM clusters c
		LEFT JOIN clusterset_members m ON m.cluster_id = c.id
		LEFT JOIN clustersets s ON s.id = m.clusterset_id
		WHERE c.deleted_at IS NULL AND c.name = ANY($1)`, names, addonAntrea)
	if err != nil {
		return nil, fmt.Errorf("clusterset preflight: %w", err)
	}
	defer rows.Close()
	facts := map[string]*domain.SetClusterFacts{}
	for rows.Next() {
		var name string
		var spec domain.ClusterSpec
		f := &domain.SetClusterFacts{}
		if err := rows.Scan(&name, &f.Phase, &spec, &f.Antrea, &f.ClusterSet, &f.Nodes); err != nil {
			return nil, fmt.Errorf("clusterset preflight: %w", err)
		}
		f.PodCIDR, f.ServiceCIDR = spec.Network.PodCIDR, spec.Network.ServiceCIDR
		facts[name] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clusterset preflight: %w", err)
	}
	return facts, nil
}
