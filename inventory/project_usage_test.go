package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestProjectUsageSumsLiveClusterSpecs: the SQL sum over a project's live clusters equals
// domain.SpecResources summed over their specs; deleted clusters and other projects'
// clusters do not count.
func TestProjectUsageSumsLiveClusterSpecs(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	registerVCenter(t, s, "vc1")
	in := domain.ProjectInput{Name: "team-a"}
	_ = in.Validate()
	if _, err := s.CreateProject(ctx, in, "root"); err != nil {
		t.Fatal(err)
	}
	u, err := s.ProjectUsage(ctx, "team-a")
	if err != nil || u != (domain.ProjectUsage{Project: "team-a"}) {
		t.Fatalf("usage of an empty project = %+v, %v", u, err)
	}

	shape := func(r, cpus, mem, disk int) domain.NodeShape {
		return domain.NodeShape{Replicas: r, CPUs: cpus, MemoryMiB: mem, DiskGiB: disk}
	}
	specs := map[string]domain.ClusterSpec{
		"big": {ControlPlane: shape(3, 4, 8192, 60), WorkerPools: []domain.WorkerPool{
			{Name: "default", NodeShape: shape(5, 8, 16384, 100)}, {Name: "gpu", NodeShape: shape(2, 16, 65536, 200)}}},
		"small":   {ControlPlane: shape(1, 2, 4096, 40)}, // no worker pools: worker_pools is null
		"empty":   {ControlPlane: shape(1, 2, 4096, 40), WorkerPools: []domain.WorkerPool{}},
		"gone":    {ControlPlane: shape(1, 64, 4096, 40)},
		"default": {ControlPlane: shape(7, 64, 4096, 40)},
	}
	var want domain.Resources
	for name, spec := range specs {
		spec.Name, spec.VCenter = name, "vc1"
		c, err := s.CreateCluster(ctx, spec, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if name == "default" {
			continue
		}
		moveCluster(t, s, name, "team-a")
		if name == "gone" {
			if err := s.SetClusterPhase(ctx, c.ID, domain.PhaseDeleted, ""); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = want.Add(domain.SpecResources(spec))
	}
	if _, err := s.CreateClusterSet(ctx, setSpec("big", "small"), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE clustersets SET project_id = (SELECT id FROM projects WHERE name = 'team-a')`); err != nil {
		t.Fatal(err)
	}
	u, err = s.ProjectUsage(ctx, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if u.Resources != want || u.ClusterSets != 1 || u.Project != "team-a" || want.Clusters != 3 || want.Nodes != 3+5+2+1+1 {
		t.Fatalf("usage = %+v, want %+v and 1 ClusterSet", u, want)
	}
	// A scale recorded in the spec shows at once.
	if err := s.SetWorkerPool(ctx, clusterID(t, s, "small"), domain.WorkerPool{Name: "default", NodeShape: shape(4, 2, 4096, 40)}); err != nil {
		t.Fatal(err)
	}
	if u, err = s.ProjectUsage(ctx, "team-a"); err != nil || u.Nodes != want.Nodes+4 || u.VCPUs != want.VCPUs+8 {
		t.Fatalf("usage after a scale = %+v, %v", u, err)
	}
	if def, err := s.ProjectUsage(ctx, domain.DefaultProject); err != nil || def.Clusters != 1 || def.VCPUs != 7*64 {
		t.Fatalf("usage of the default project = %+v, %v", def, err)
	}
	if _, err := s.ProjectUsage(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("usage of an unknown project = %v", err)
	}
}

func clusterID(t *testing.T, s interface {
	GetCluster(context.Context, string) (domain.Cluster, error)
}, name string) string {
	t.Helper()
	c, err := s.GetCluster(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
