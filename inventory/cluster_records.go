package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// CreateCluster records a validated spec as a Pending cluster of the default project
// (see CreateClusterIn).
func (s *Store) CreateCluster(ctx context.Context, spec domain.ClusterSpec, actor string) (domain.Cluster, error) {
	return s.CreateClusterIn(ctx, domain.DefaultProject, spec, actor)
}

// CreateClusterIn records a validated spec as a Pending cluster of the live project
// named project, on the vCenter named in the spec, in one transaction that holds the
// project's row: the project must allow the spec's vCenter, IP pool and placement, and
// its quotas must have room for what the spec takes (domain.SpecResources) beside what
// the project holds and its active operations reserve. The new cluster's spec is then
// its usage. An unknown project or vCenter, or one the project does not allow, is a
// *domain.ValidationError naming the field ("project", "vcenter", "network.ip_pool",
// "placement.compute_cluster"); no room is a *domain.QuotaError; a live cluster of the
// same name is domain.ErrConflict. Nothing is written unless it returns nil.
func (s *Store) CreateClusterIn(ctx context.Context, project string, spec domain.ClusterSpec, actor string) (domain.Cluster, error) {
	id := uuid.NewString()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var v domain.ValidationError
		p, err := getProject(ctx, tx, project, "FOR UPDATE OF p")
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add("project", "no project named %q", project)
		case err != nil:
			return fmt.Errorf("project %s: %w", project, err)
		}
		var vcenterID string
		err = tx.QueryRow(ctx, `SELECT id FROM vcenters WHERE name = $1`, spec.VCenter).Scan(&vcenterID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			v.Add("vcenter", "no vCenter named %q is registered", spec.VCenter)
		case err != nil:
			return fmt.Errorf("vcenter %s: %w", spec.VCenter, err)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := p.CheckSpec(spec); err != nil {
			return err
		}
		// A taken name is the conflict it is, rather than a quota to raise; the unique
		// index still decides between two racing creations.
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clusters WHERE name = $1 AND deleted_at IS NULL)`, spec.Name).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("cluster %q exists: %w", spec.Name, domain.ErrConflict)
		}
		if err := checkQuotas(ctx, tx, quotaProject{ID: p.ID, Name: p.Name, Quotas: p.Quotas}, domain.SpecResources(spec)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO clusters (id, name, vcenter_id, spec, created_by, project_id) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, spec.Name, vcenterID, spec, actor, p.ID)
		if isPgCode(err, pgUniqueViolation) {
			return fmt.Errorf("cluster %q exists: %w", spec.Name, domain.ErrConflict)
		}
		return err
	})
	if err != nil {
		return domain.Cluster{}, fmt.Errorf("create cluster %s in project %s: %w", spec.Name, project, err)
	}
	return s.GetCluster(ctx, spec.Name)
}

// GetClusterByID returns a live or deleted cluster by id.
func (s *Store) GetClusterByID(ctx context.Context, id string) (domain.Cluster, error) {
	c, err := scanCluster(s.pool.QueryRow(ctx, `SELECT `+clusterColumns+clusterFrom+` WHERE c.id = $1`, id))
	if err != nil {
		return c, notFound(err, "cluster "+id)
	}
	list := []domain.Cluster{c}
	err = s.attachNodes(ctx, list)
	return list[0], err
}

// SetClusterPhase records the phase of a cluster and why it is in it.
func (s *Store) SetClusterPhase(ctx context.Context, id, phase, reason string) error {
	q := `UPDATE clusters SET phase = $2, phase_reason = $3, updated_at = now() WHERE id = $1`
	if phase == domain.PhaseDeleted {
		q = `UPDATE clusters SET phase = $2, phase_reason = $3, updated_at = now(), deleted_at = coalesce(deleted_at, now()) WHERE id = $1`
	}
	tag, err := s.pool.Exec(ctx, q, id, phase, reason)
	if err != nil {
		return fmt.Errorf("set phase of cluster %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("cluster %s: %w", id, domain.ErrNotFound)
	}
	return nil
}

// SetControlPlaneEndpoint records the API server address of a cluster.
func (s *Store) SetControlPlaneEndpoint(ctx context.Context, id, endpoint string) error {
	_, err := s.pool.Exec(ctx, `UPDATE clusters SET control_plane_endpoint = $2, updated_at = now() WHERE id = $1`, id, endpoint)
	if err != nil {
		return fmt.Errorf("set endpoint of cluster %s: %w", id, err)
	}
	return nil
}

// SetCertificateExpiry records when the first control-plane certificate of a cluster expires.
func (s *Store) SetCertificateExpiry(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE clusters SET certificate_expiry = $2, updated_at = now() WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("set certificate expiry of cluster %s: %w", id, err)
	}
	return nil
}

// secretAAD binds a sealed cluster secret to its cluster and name.
func secretAAD(clusterID, name string) []byte { return []byte("cluster:" + clusterID + ":" + name) }

// PutClusterSecret seals and stores (or replaces) a secret of a cluster.
func (s *Store) PutClusterSecret(ctx context.Context, clusterID, name string, plaintext []byte) error {
	sealed, err := s.sealer.Seal(plaintext, secretAAD(clusterID, name))
	if err != nil {
		return fmt.Errorf("seal secret %s of cluster %s: %w", name, clusterID, err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO cluster_secrets (cluster_id, name, sealed) VALUES ($1, $2, $3)
		ON CONFLICT (cluster_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = now()`, clusterID, name, sealed)
	if err != nil {
		return fmt.Errorf("store secret %s of cluster %s: %w", name, clusterID, err)
	}
	return nil
}

// ClusterSecret returns a secret of a cluster, unsealed. Only activities call it.
func (s *Store) ClusterSecret(ctx context.Context, clusterID, name string) ([]byte, error) {
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT sealed FROM cluster_secrets WHERE cluster_id = $1 AND name = $2`, clusterID, name).Scan(&sealed)
	if err != nil {
		return nil, notFound(err, "secret "+name+" of cluster "+clusterID)
	}
	plain, err := s.sealer.Open(sealed, secretAAD(clusterID, name))
	if err != nil {
		return nil, fmt.Errorf("unseal secret %s of cluster %s: %w", name, clusterID, err)
	}
	return plain, nil
}

// ClusterSecretNames lists the names of a cluster's secrets.
func (s *Store) ClusterSecretNames(ctx context.Context, clusterID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM cluster_secrets WHERE cluster_id = $1 ORDER BY name`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("list secrets of cluster %s: %w", clusterID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// DeleteClusterSecret removes one secret of a cluster; one that is not there is no
// error.
func (s *Store) DeleteClusterSecret(ctx context.Context, clusterID, name string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM cluster_secrets WHERE cluster_id = $1 AND name = $2`, clusterID, name)
	if err != nil {
		return fmt.Errorf("delete secret %s of cluster %s: %w", name, clusterID, err)
	}
	return nil
}

// DeleteClusterSecrets removes every secret of a cluster and returns how many.
func (s *Store) DeleteClusterSecrets(ctx context.Context, clusterID string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM cluster_secrets WHERE cluster_id = $1`, clusterID)
	if err != nil {
		return 0, fmt.Errorf("delete secrets of cluster %s: %w", clusterID, err)
	}
	return tag.RowsAffected(), nil
}

// NodeRecord is what provisioning records about one node.
type NodeRecord struct {
	ClusterID      string
	Name           string
	Role           string
	Pool           string
	IP             string
	VMName         string
	VMMoref        string
	VMUUID         string
	KubeletVersion string
	Ready          bool
}

// UpsertNode records a node, creating or updating it by cluster and name.
func (s *Store) UpsertNode(ctx context.Context, n NodeRecord) error {
	var ip any
	if n.IP != "" {
		ip = n.IP
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO nodes (cluster_id, name, role, pool, ip, vm_name, vm_moref, vm_uuid, kubelet_version, ready)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (cluster_id, name) DO UPDATE SET role = excluded.role, pool = excluded.pool,
			ip = coalesce(excluded.ip, nodes.ip), vm_name = excluded.vm_name,
			vm_moref = CASE WHEN excluded.vm_moref = '' THEN nodes.vm_moref ELSE excluded.vm_moref END,
			vm_uuid = CASE WHEN excluded.vm_uuid = '' THEN nodes.vm_uuid ELSE excluded.vm_uuid END,
			kubelet_version = CASE WHEN excluded.kubelet_version = '' THEN nodes.kubelet_version ELSE excluded.kubelet_version END,
			ready = excluded.ready, updated_at = now()`,
		n.ClusterID, n.Name, n.Role, n.Pool, ip, n.VMName, n.VMMoref, n.VMUUID, n.KubeletVersion, n.Ready)
	if err != nil {
		return fmt.Errorf("record node %s: %w", n.Name, err)
	}
	return nil
}

// DeleteNode removes the record of a node; removing nothing is not an error.
func (s *Store) DeleteNode(ctx context.Context, clusterID, name string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM nodes WHERE cluster_id = $1 AND name = $2`, clusterID, name); err != nil {
		return fmt.Errorf("delete node %s: %w", name, err)
	}
	return nil
}

// UpsertAddon records the state of an add-on of a cluster.
func (s *Store) UpsertAddon(ctx context.Context, clusterID string, a domain.Addon, chart, message string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO cluster_addons (cluster_id, name, chart, chart_version, status, message) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (cluster_id, name) DO UPDATE SET chart = excluded.chart, chart_version = excluded.chart_version,
			status = excluded.status, message = excluded.message, updated_at = now()`,
		clusterID, a.Name, chart, a.ChartVersion, a.Status, message)
	if err != nil {
		return fmt.Errorf("record add-on %s: %w", a.Name, err)
	}
	return nil
}

// EnableAntreaMulticluster records that a cluster's Antrea runs the Multicluster feature
// gate with gateways (addons.antrea.multicluster), as a ClusterSet needs; the add-on's
// next install uses it. It reports whether the spec changed.
func (s *Store) EnableAntreaMulticluster(ctx context.Context, id string) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var spec domain.ClusterSpec
		if err := tx.QueryRow(ctx, `SELECT spec FROM clusters WHERE id = $1 FOR UPDATE`, id).Scan(&spec); err != nil {
			return notFound(err, "cluster "+id)
		}
		if spec.Addons.Antrea != nil && spec.Addons.Antrea.Multicluster {
			return nil
		}
		if spec.Addons.Antrea == nil {
			spec.Addons.Antrea = &domain.AntreaSpec{}
		}
		spec.Addons.Antrea.Multicluster, changed = true, true
		_, err := tx.Exec(ctx, `UPDATE clusters SET spec = $2, updated_at = now() WHERE id = $1`, id, spec)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("enable Antrea multicluster on cluster %s: %w", id, err)
	}
	return changed, nil
}

// SetHealthPhase records what a health check found: phase (Ready, Degraded or
// Unreachable) and reason, only while the cluster is in one of those phases and has no
// active operation, so that a check never overwrites the phase an operation set. It
// reports whether the phase was recorded (updated_at moves only when it changed).
func (s *Store) SetHealthPhase(ctx context.Context, id, phase, reason string) (bool, error) {
	if !slices.Contains(domain.HealthPhases, phase) {
		return false, fmt.Errorf("set health phase of cluster %s: %s is not a health phase", id, phase)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE clusters SET phase = $2, phase_reason = $3,
			updated_at = CASE WHEN phase = $2 AND phase_reason = $3 THEN updated_at ELSE now() END
		WHERE id = $1 AND phase = ANY($4) AND deleted_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM operations WHERE target_kind = 'cluster' AND target_id = $1 AND state IN `+activeStates+`)`,
		id, phase, reason, domain.HealthPhases)
	if err != nil {
		return false, fmt.Errorf("set health phase of cluster %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}
