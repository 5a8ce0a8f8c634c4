package inventory

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// Quotas are checked where what a project takes grows, each in one transaction that
// holds the project's row FOR UPDATE while it sums what the project holds (its live
// clusters' specs) and what its active operations reserve, compares, and writes the new
// cluster (CreateClusterIn) or the operation with its reservation (CreateOperation).
// Two requests for the same room thus take turns, and the second sees the first.

// quotaProject is a project's row as a quota check reads it, locked.
type quotaProject struct {
	ID     string
	Name   string
	Quotas domain.Quotas
}

// lockTargetProject locks the row of the project of an operation's target (a cluster
// or a ClusterSet) until the transaction ends, and returns it.
func lockTargetProject(ctx context.Context, tx pgx.Tx, target domain.Target) (quotaProject, error) {
	var table string
	switch target.Kind {
	case "cluster":
		table = "clusters"
	case "clusterset":
		table = "clustersets"
	default:
		return quotaProject{}, fmt.Errorf("an operation on a %s reserves nothing of a project", target.Kind)
	}
	var p quotaProject
	q := &p.Quotas
	err := tx.QueryRow(ctx, `SELECT p.id, p.name, p.quota_clusters, p.quota_vcpus, p.quota_memory_mib, p.quota_disk_gib, p.quota_nodes
		FROM projects p JOIN `+table+` t ON t.project_id = p.id WHERE t.id = $1 FOR UPDATE OF p`, target.ID).
		Scan(&p.ID, &p.Name, &q.Clusters, &q.VCPUs, &q.MemoryMiB, &q.DiskGiB, &q.Nodes)
	if err != nil {
		return p, notFound(err, "project of "+target.Kind+" "+target.Name)
	}
	return p, nil
}

// checkQuotas returns a *domain.QuotaError when project p, whose row the transaction
// q holds, cannot take asks more under its quotas (see domain.CheckQuotas). A project
// without quotas, or a request asking nothing, is not summed.
func checkQuotas(ctx context.Context, q querier, p quotaProject, asks domain.Resources) error {
	if !p.Quotas.Limited() || asks.IsZero() {
		return nil
	}
	u, err := projectUsage(ctx, q, p.ID)
	if err != nil {
		return fmt.Errorf("usage of project %s: %w", p.Name, err)
	}
	return domain.CheckQuotas(p.Name, p.Quotas, u.Resources, u.Reserved, asks)
}
