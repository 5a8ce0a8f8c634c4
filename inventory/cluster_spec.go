package inventory

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// SetKubernetesVersion records the Kubernetes version a cluster runs (its control
// plane's, once an upgrade moved it) and, unless empty, the template of its new nodes.
func (s *Store) SetKubernetesVersion(ctx context.Context, id, version, template string) error {
	return s.changeClusterSpec(ctx, id, func(spec *domain.ClusterSpec) {
		spec.KubernetesVersion = version
		if template != "" {
			spec.Placement.Template = template
		}
	})
}

// SetWorkerPool records a worker pool as it now is: replaced by name, appended when
// the cluster has no such pool, removed when it has no replicas. The cluster's active
// scale gives up its quota reservation in the same transaction: from now on the spec
// counts the nodes it added (see domain.ScaleReservation).
func (s *Store) SetWorkerPool(ctx context.Context, id string, pool domain.WorkerPool) error {
	return s.changeClusterSpecThen(ctx, id, func(spec *domain.ClusterSpec) {
		i := slices.IndexFunc(spec.WorkerPools, func(p domain.WorkerPool) bool { return p.Name == pool.Name })
		switch {
		case i < 0 && pool.Replicas > 0:
			spec.WorkerPools = append(spec.WorkerPools, pool)
		case i >= 0 && pool.Replicas > 0:
			spec.WorkerPools[i] = pool
		case i >= 0:
			spec.WorkerPools = slices.Delete(spec.WorkerPools, i, i+1)
		}
	}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE operations SET reserved = NULL WHERE target_kind = 'cluster' AND target_id = $1
			AND kind = $2 AND reserved IS NOT NULL AND state IN `+activeStates, id, domain.OpScaleCluster)
		return err
	})
}

// changeClusterSpec runs fn on cluster id's spec in a transaction that holds its row.
func (s *Store) changeClusterSpec(ctx context.Context, id string, fn func(*domain.ClusterSpec)) error {
	return s.changeClusterSpecThen(ctx, id, fn, nil)
}

// changeClusterSpecThen is changeClusterSpec that runs then (when not nil) in the same
// transaction once the spec is written.
func (s *Store) changeClusterSpecThen(ctx context.Context, id string, fn func(*domain.ClusterSpec), then func(pgx.Tx) error) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var spec domain.ClusterSpec
		if err := tx.QueryRow(ctx, `SELECT spec FROM clusters WHERE id = $1 FOR UPDATE`, id).Scan(&spec); err != nil {
			return notFound(err, "cluster "+id)
		}
		fn(&spec)
		if _, err := tx.Exec(ctx, `UPDATE clusters SET spec = $2, updated_at = now() WHERE id = $1`, id, spec); err != nil {
			return err
		}
		if then != nil {
			return then(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("change the spec of cluster %s: %w", id, err)
	}
	return nil
}

// SetNodeState records what a node's kubelet reports now: its version and readiness.
func (s *Store) SetNodeState(ctx context.Context, clusterID, name, kubeletVersion string, ready bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE nodes SET kubelet_version = $3, ready = $4, updated_at = now()
		WHERE cluster_id = $1 AND name = $2`, clusterID, name, kubeletVersion, ready)
	if err != nil {
		return fmt.Errorf("record the state of node %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record the state of node %s: %w", name, domain.ErrNotFound)
	}
	return nil
}
