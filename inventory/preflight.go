package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
)

// PreflightCluster checks a cluster spec against what the inventory records, before
// anything is created: the spec's vCenter is registered and synced; the placement
// objects exist in the datacenter of the recorded inventory; the template, datastore
// and IP pool pass domain.CheckPreflight. spec must have its defaults filled and have
// passed spec.Validate. A spec that fails returns a *domain.ValidationError naming each
// bad field; other errors are the database's. It writes nothing.
//
// The recorded inventory does not know which hardware versions the hosts support, so a
// template below domain.MinHardwareVersion is accepted here; the live preflight
// activity decides whether it can be upgraded.
func (s *Store) PreflightCluster(ctx context.Context, spec domain.ClusterSpec) error {
	facts, err := s.PreflightFacts(ctx, spec)
	if err != nil {
		return err
	}
	if v := domain.CheckPreflight(spec, facts); v != nil {
		return v
	}
	return nil
}

// PreflightFacts gathers the facts of domain.CheckPreflight for spec from the recorded
// inventory of its vCenter and from its IP pool.
func (s *Store) PreflightFacts(ctx context.Context, spec domain.ClusterSpec) (domain.PreflightFacts, error) {
	var facts domain.PreflightFacts
	if err := s.placementFacts(ctx, spec, &facts); err != nil {
		return facts, err
	}
	pool, err := s.IPPoolSummary(ctx, spec.Network.IPPool)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		facts.Problems = append(facts.Problems, domain.FieldError{Field: "network.ip_pool",
			Message: fmt.Sprintf("ip pool %q does not exist", spec.Network.IPPool)})
	case err != nil:
		return facts, fmt.Errorf("preflight: %w", err)
	default:
		facts.IPPool = &domain.IPPoolFacts{CIDR: pool.CIDR, Free: pool.Free, Gateway: pool.Gateway}
	}
	if host := spec.KubeSphereHost(); host != "" {
		if err := s.kubesphereHostFacts(ctx, host, &facts); err != nil {
			return facts, err
		}
	}
	return facts, nil
}

// kubesphereHostFacts records the phase and KubeSphere role of the live cluster named
// host, or the problem that there is none.
func (s *Store) kubesphereHostFacts(ctx context.Context, host string, facts *domain.PreflightFacts) error {
	c, err := s.GetCluster(ctx, host)
	if errors.Is(err, domain.ErrNotFound) {
		facts.Problems = append(facts.Problems, domain.FieldError{Field: "addons.kubesphere.host",
			Message: fmt.Sprintf("cluster %q does not exist", host)})
		return nil
	}
	if err != nil {
		return fmt.Errorf("preflight: kubesphere host %s: %w", host, err)
	}
	f := &domain.KubeSphereHostFacts{Name: c.Name, Phase: c.Phase}
	if ks := c.Spec.Addons.KubeSphere; ks != nil && ks.Enabled {
		f.Role = ks.Role
	}
	facts.KubeSphereHost = f
	return nil
}

// placementFacts records the template and datastore of the spec's placement, or the
// problems finding them and the other placement objects.
func (s *Store) placementFacts(ctx context.Context, spec domain.ClusterSpec, facts *domain.PreflightFacts) error {
	problem := func(field, format string, args ...any) {
		facts.Problems = append(facts.Problems, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	vc, err := s.GetVCenter(ctx, spec.VCenter)
	if errors.Is(err, domain.ErrNotFound) {
		problem("vcenter", "vCenter %q is not registered", spec.VCenter)
		return nil
	}
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	if vc.SyncedAt == nil {
		problem("vcenter", "the inventory of vCenter %q has not been synced yet; sync it (POST /api/v1/vcenters/%s/sync) and retry", vc.Name, vc.Name)
		return nil
	}
	objs, err := s.placementCandidates(ctx, vc.ID, spec.Placement)
	if err != nil {
		return fmt.Errorf("preflight: read inventory of vCenter %s: %w", vc.Name, err)
	}
	found := resolveRecorded(objs, spec.Placement, vc.Name, vc.SyncedAt.UTC().Format("2006-01-02T15:04:05Z"))
	facts.Problems = append(facts.Problems, found.problems...)
	if t := found.template; t != nil {
		facts.Template = t.Template
	}
	if ds := found.datastore; ds != nil {
		facts.Datastore = ds.Datastore
	}
	return nil
}

// placementCandidates reads the recorded objects that a placement may name: the
// datacenter, and the objects in it whose name is the last element of a placement value.
func (s *Store) placementCandidates(ctx context.Context, vcenterID string, p domain.Placement) ([]domain.InventoryObject, error) {
	dc := baseName(p.Datacenter)
	names := []string{}
	for _, v := range []string{p.ComputeCluster, p.ResourcePool, p.Folder, p.Datastore, p.Network, p.Template} {
		if v != "" {
			names = append(names, baseName(v))
		}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT attrs FROM inventory_objects
		WHERE vcenter_id = $1
		  AND ((kind = 'datacenter' AND name = $2) OR (datacenter = $2 AND name = ANY($3)))
		ORDER BY kind, path, moref`, vcenterID, dc, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var objs []domain.InventoryObject
	for rows.Next() {
		var o domain.InventoryObject
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, rows.Err()
}
