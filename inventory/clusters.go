package inventory

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

const clusterColumns = `c.id, c.name, coalesce(v.name, ''), coalesce(c.vcenter_id::text, ''), c.spec, c.phase, c.phase_reason, c.control_plane_endpoint,
	c.created_by, c.created_at, c.updated_at, c.certificate_expiry, pr.name`

const clusterFrom = ` FROM clusters c LEFT JOIN vcenters v ON v.id = c.vcenter_id JOIN projects pr ON pr.id = c.project_id`

func scanCluster(r pgx.Row) (domain.Cluster, error) {
	var c domain.Cluster
	err := r.Scan(&c.ID, &c.Name, &c.VCenter, &c.VCenterID, &c.Spec, &c.Phase, &c.PhaseReason, &c.ControlPlaneEndpoint,
		&c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.CertificateExpiry, &c.Project)
	c.Nodes, c.Addons = []domain.Node{}, []domain.Addon{}
	return c, err
}

// ClusterFilter narrows ListClusters.
type ClusterFilter struct {
	Phase   string
	VCenter string
	// Projects, unless nil, keeps only the clusters of these projects (by name).
	Projects []string
}

// ListClusters returns live clusters in name order, a page at a time, with their nodes.
func (s *Store) ListClusters(ctx context.Context, f ClusterFilter, page Page) ([]domain.Cluster, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := page.limit()
	var q query
	q.and("c.deleted_at IS NULL")
	if after.Name != "" {
		q.and("c.name > ?", after.Name)
	}
	if f.Phase != "" {
		q.and("c.phase = ?", f.Phase)
	}
	if f.VCenter != "" {
		q.and("v.name = ?", f.VCenter)
	}
	if f.Projects != nil {
		q.and("pr.name = ANY(?)", f.Projects)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+clusterColumns+clusterFrom, "c.name", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list clusters: %w", err)
	}
	clusters, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Cluster, error) { return scanCluster(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list clusters: %w", err)
	}
	clusters, next := pageByName(clusters, limit, func(c domain.Cluster) string { return c.Name })
	if err := s.attachNodes(ctx, clusters); err != nil {
		return nil, "", err
	}
	return clusters, next, nil
}

// GetCluster returns the live cluster named name with its nodes.
func (s *Store) GetCluster(ctx context.Context, name string) (domain.Cluster, error) {
	c, err := scanCluster(s.pool.QueryRow(ctx, `SELECT `+clusterColumns+clusterFrom+`
		WHERE c.deleted_at IS NULL AND c.name = $1`, name))
	if err != nil {
		return c, notFound(err, "cluster "+name)
	}
	list := []domain.Cluster{c}
	err = s.attachNodes(ctx, list)
	return list[0], err
}

// attachNodes fills the Nodes, Addons, active Operation and ClusterSet of every cluster,
// one query each.
func (s *Store) attachNodes(ctx context.Context, clusters []domain.Cluster) error {
	if len(clusters) == 0 {
		return nil
	}
	ids := make([]string, len(clusters))
	byID := make(map[string]*domain.Cluster, len(clusters))
	for i := range clusters {
		ids[i] = clusters[i].ID
		byID[clusters[i].ID] = &clusters[i]
	}
	rows, err := s.pool.Query(ctx, `
		SELECT cluster_id, name, role, pool, coalesce(host(ip), ''), vm_moref, kubelet_version, ready
		FROM nodes WHERE cluster_id = ANY($1) ORDER BY cluster_id, role, name`, ids)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n domain.Node
		if err := rows.Scan(&id, &n.Name, &n.Role, &n.Pool, &n.IP, &n.VM, &n.KubeletVersion, &n.Ready); err != nil {
			return fmt.Errorf("list nodes: %w", err)
		}
		c := byID[id]
		c.Nodes = append(c.Nodes, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	arows, err := s.pool.Query(ctx, `SELECT cluster_id, name, chart_version, status FROM cluster_addons
		WHERE cluster_id = ANY($1) ORDER BY cluster_id, name`, ids)
	if err != nil {
		return fmt.Errorf("list add-ons: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var id string
		var a domain.Addon
		if err := arows.Scan(&id, &a.Name, &a.ChartVersion, &a.Status); err != nil {
			return fmt.Errorf("list add-ons: %w", err)
		}
		c := byID[id]
		c.Addons = append(c.Addons, a)
	}
	if err := arows.Err(); err != nil {
		return err
	}
	if err := s.attachActiveOperations(ctx, ids, byID); err != nil {
		return err
	}
	return s.attachClusterSets(ctx, ids, byID)
}

// attachActiveOperations sets each cluster's active operation, if it has one.
func (s *Store) attachActiveOperations(ctx context.Context, ids []string, byID map[string]*domain.Cluster) error {
	rows, err := s.pool.Query(ctx, `SELECT target_id::text, `+operationColumns+` FROM operations
		WHERE target_kind = 'cluster' AND target_id = ANY($1) AND state IN `+activeStates, ids)
	if err != nil {
		return fmt.Errorf("active operations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		op, err := scanOperation(prefixedRow{rows, &id})
		if err != nil {
			return fmt.Errorf("active operations: %w", err)
		}
		byID[id].Operation = &domain.ActiveOperation{ID: op.ID, Kind: op.Kind, State: op.State, Decision: op.Decision}
	}
	return rows.Err()
}

// prefixedRow scans its first column into first and the rest as the caller asks.
type prefixedRow struct {
	pgx.Row
	first *string
}

func (r prefixedRow) Scan(dest ...any) error { return r.Row.Scan(append([]any{r.first}, dest...)...) }

// DeleteClusterRecord removes a cluster's row (and, by cascade, its nodes, add-ons and
// secrets) for good: only for a cluster whose provisioning never started.
func (s *Store) DeleteClusterRecord(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM clusters WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete cluster %s: %w", id, err)
	}
	return nil
}
