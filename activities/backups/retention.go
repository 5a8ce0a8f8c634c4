package backups

import (
	"context"

	"github.com/clusterwright/clusterwright/backupstore"
)

// RetentionInput says how many backups of a cluster to keep.
type RetentionInput struct {
	ClusterID string `json:"cluster_id"`
	// Keep is how many of the newest Completed backups stay; at least 1.
	Keep int `json:"keep"`
}

// RetentionResult lists the backups deleted.
type RetentionResult struct {
	Deleted []string `json:"deleted"`
}

// ApplyRetention keeps the newest Keep backups of a cluster and deletes the
// older ones at their targets and marks them Deleted in the inventory
// (backupstore.Prune). A backup it could not delete fails the activity,
// retryably, after the others were deleted.
func (a *Activities) ApplyRetention(ctx context.Context, in RetentionInput) (RetentionResult, error) {
	if in.ClusterID == "" || in.Keep < 1 {
		return RetentionResult{}, invalid("retention needs a cluster id and keep >= 1 (got %q, %d)", in.ClusterID, in.Keep)
	}
	deleted, err := backupstore.Prune(ctx, a.Store, a.targets(), in.ClusterID, in.Keep)
	res := RetentionResult{Deleted: []string{}}
	for _, b := range deleted {
		res.Deleted = append(res.Deleted, b.ID)
	}
	if len(deleted) > 0 {
		a.logger().Info("backups pruned", "cluster_id", in.ClusterID, "keep", in.Keep, "deleted", res.Deleted)
	}
	return res, err
}
