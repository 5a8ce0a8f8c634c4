package inventory

import (
	"context"
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
)

// projectUsageSQL sums, over the live clusters of project $1, what domain.SpecResources
// sums for one spec: the control plane's and every worker pool's replicas, vCPUs, memory
// and disk (a missing number counts as 0; worker_pools may be null). It also counts the
// project's live ClusterSets.
const projectUsageSQL = `
	WITH shapes AS (
		SELECT c.id, s.shape
		FROM clusters c
		CROSS JOIN LATERAL (
			SELECT c.spec->'control_plane' AS shape
			UNION ALL
			SELECT w FROM jsonb_array_elements(CASE jsonb_typeof(c.spec->'worker_pools')
				WHEN 'array' THEN c.spec->'worker_pools' ELSE '[]'::jsonb END) AS w
		) s
		WHERE c.project_id = $1 AND c.deleted_at IS NULL
	), nodes AS (
		SELECT coalesce((shape->>'replicas')::bigint, 0) AS n,
			coalesce((shape->>'cpus')::bigint, 0) AS cpus,
			coalesce((shape->>'memory_mib')::bigint, 0) AS memory_mib,
			coalesce((shape->>'disk_gib')::bigint, 0) AS disk_gib
		FROM shapes
	)
	SELECT
		(SELECT count(*) FROM clusters WHERE project_id = $1 AND deleted_at IS NULL),
		coalesce(sum(n * cpus), 0)::bigint,
		coalesce(sum(n * memory_mib), 0)::bigint,
		coalesce(sum(n * disk_gib), 0)::bigint,
		coalesce(sum(n), 0)::bigint,
		(SELECT count(*) FROM clustersets WHERE project_id = $1 AND deleted_at IS NULL)
	FROM nodes`

// projectReservedSQL sums what the active operations of project $1 reserve (their
// reserved column, a domain.Resources object; see migration 014).
const projectReservedSQL = `
	SELECT coalesce(sum((reserved->>'clusters')::bigint), 0)::bigint AS r_clusters,
		coalesce(sum((reserved->>'vcpus')::bigint), 0)::bigint AS r_vcpus,
		coalesce(sum((reserved->>'memory_mib')::bigint), 0)::bigint AS r_memory_mib,
		coalesce(sum((reserved->>'disk_gib')::bigint), 0)::bigint AS r_disk_gib,
		coalesce(sum((reserved->>'nodes')::bigint), 0)::bigint AS r_nodes
	FROM operations WHERE project_id = $1 AND reserved IS NOT NULL AND state IN ` + activeStates

// projectUsageWithReservedSQL is projectUsageSQL and projectReservedSQL in one
// statement, so that both read one snapshot: an operation that records its nodes in
// the spec gives up its reservation in the same transaction (see SetWorkerPool), and
// two statements could see the nodes in neither or in both.
const projectUsageWithReservedSQL = `SELECT * FROM (` + projectUsageSQL + `) u CROSS JOIN (` + projectReservedSQL + `) r`

// ProjectUsage returns what the live project named name holds now: its live clusters,
// the vCPUs, memory, disk and nodes their specs take (domain.SpecResources summed), and
// its live ClusterSets; and, in Reserved, what its active operations reserve.
func (s *Store) ProjectUsage(ctx context.Context, name string) (domain.ProjectUsage, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id FROM projects WHERE deleted_at IS NULL AND name = $1`, name).Scan(&id)
	if err != nil {
		return domain.ProjectUsage{}, notFound(err, "project "+name)
	}
	u, err := projectUsage(ctx, s.pool, id)
	if err != nil {
		return u, fmt.Errorf("usage of project %s: %w", name, err)
	}
	u.Project = name
	return u, nil
}

// projectUsage sums what project id holds and what its active operations reserve, on q
// (a transaction holding the project's row, when the caller checks a quota).
func projectUsage(ctx context.Context, q querier, id string) (domain.ProjectUsage, error) {
	var u domain.ProjectUsage
	r, res := &u.Resources, &u.Reserved
	err := q.QueryRow(ctx, projectUsageWithReservedSQL, id).Scan(&r.Clusters, &r.VCPUs, &r.MemoryMiB, &r.DiskGiB, &r.Nodes, &u.ClusterSets,
		&res.Clusters, &res.VCPUs, &res.MemoryMiB, &res.DiskGiB, &res.Nodes)
	return u, err
}
