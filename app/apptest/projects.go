package apptest

import (
	"context"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// PutCluster records a cluster of spec in project straight in the inventory, past the
// project's allow-lists and quotas, and returns it. Nothing provisions it: it is for
// tests of who sees what.
func (e *Env) PutCluster(t *testing.T, project string, spec domain.ClusterSpec) domain.Cluster {
	t.Helper()
	ctx := context.Background()
	c, err := e.App.Store.CreateCluster(ctx, spec, "test")
	if err != nil {
		t.Fatalf("record cluster %s: %v", spec.Name, err)
	}
	if _, err := e.App.Store.Pool().Exec(ctx,
		`UPDATE clusters SET project_id = (SELECT id FROM projects WHERE name = $1 AND deleted_at IS NULL) WHERE id = $2`, project, c.ID); err != nil {
		t.Fatalf("put cluster %s in project %s: %v", spec.Name, project, err)
	}
	c.Project = project
	return c
}
