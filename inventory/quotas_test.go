package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// quotaSpec is a spec on vc1 of one control plane and workers of 4 vCPUs, 8 GiB and 60
// GiB each: (1 + workers) × 4 vCPUs.
func quotaSpec(name string, workers int) domain.ClusterSpec {
	shape := domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}
	spec := domain.ClusterSpec{Name: name, VCenter: "vc1", ControlPlane: shape,
		Placement: domain.Placement{Datacenter: "DC0", ComputeCluster: "C0"}, Network: domain.NetworkSpec{IPPool: "lab"}}
	if workers > 0 {
		shape.Replicas = workers
		spec.WorkerPools = []domain.WorkerPool{{Name: "default", NodeShape: shape}}
	}
	return spec
}

// quotaStore is a store with vCenter vc1 and a project of that name allowing vc1, every
// IP pool and vc1/DC0/*, with quotas q.
func quotaStore(t *testing.T, project string, q domain.Quotas) *inventory.Store {
	t.Helper()
	s := inventorytest.NewStore(t)
	registerVCenter(t, s, "vc1")
	createQuotaProject(t, s, project, q)
	return s
}

func createQuotaProject(t *testing.T, s *inventory.Store, project string, q domain.Quotas) {
	t.Helper()
	in := domain.ProjectInput{Name: project, Quotas: q, VCenters: []string{"vc1"}, IPPools: []string{domain.AllowAll},
		Placements: []domain.PlacementScope{{VCenter: "vc1", Datacenter: "DC0", ComputeCluster: domain.AllowAll}}}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(context.Background(), in, "root"); err != nil {
		t.Fatal(err)
	}
}

// quotaFields returns the fields of a *domain.QuotaError, failing the test for any other error.
func quotaFields(t *testing.T, err error) []domain.FieldError {
	t.Helper()
	var qe *domain.QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("error %v is no quota error", err)
	}
	return qe.Fields
}

func countClusters(t *testing.T, s *inventory.Store) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM clusters WHERE deleted_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateClusterInChecksProjectAndQuotas: a cluster goes into the project named, whose
// allow-lists and quotas it must fit: exactly at a quota is accepted, over it refused
// naming each quota exceeded with the numbers, and nothing written; deleted clusters free
// their room; the default project's wrapper has no quota.
func TestCreateClusterInChecksProjectAndQuotas(t *testing.T) {
	ctx := context.Background()
	s := quotaStore(t, "team-a", domain.Quotas{Clusters: quota(3), VCPUs: quota(16), Nodes: quota(4)})

	first, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("one", 1), "alice") // 8 vCPUs, 2 nodes
	if err != nil {
		t.Fatal(err)
	}
	if first.Project != "team-a" {
		t.Errorf("project of the new cluster = %q", first.Project)
	}
	if _, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("two", 1), "alice"); err != nil { // exactly 16 vCPUs, 4 nodes
		t.Fatalf("exactly at the quotas: %v", err)
	}
	_, err = s.CreateClusterIn(ctx, "team-a", quotaSpec("three", 0), "alice")
	want := []domain.FieldError{
		{Field: "quotas.vcpus", Message: "project team-a would hold 20 vCPUs, over its quota of 16 (holds 16, this asks 4)"},
		{Field: "quotas.nodes", Message: "project team-a would hold 5 nodes, over its quota of 4 (holds 4, this asks 1)"},
	}
	if got := quotaFields(t, err); !slices.Equal(got, want) {
		t.Fatalf("over quota: %+v\nwant %+v", got, want)
	}
	if n := countClusters(t, s); n != 2 {
		t.Fatalf("%d live clusters after a refusal, want 2", n)
	}
	u, err := s.ProjectUsage(ctx, "team-a")
	if err != nil || u.Clusters != 2 || u.VCPUs != 16 || u.Nodes != 4 || !u.Reserved.IsZero() {
		t.Fatalf("usage %+v, %v", u, err)
	}

	// A deleted cluster frees its room.
	if err := s.SetClusterPhase(ctx, first.ID, domain.PhaseDeleted, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("three", 1), "alice"); err != nil {
		t.Fatalf("after a delete: %v", err)
	}

	// Allow-lists, an unknown project and an unknown vCenter: validation errors naming the
	// fields, checked before the quotas.
	registerVCenter(t, s, "vc2")
	bad := quotaSpec("four", 9)
	bad.VCenter = "vc2"
	_, err = s.CreateClusterIn(ctx, "team-a", bad, "alice")
	if got := validationFields(t, err); !slices.Equal(got, []string{"vcenter", "placement.compute_cluster"}) {
		t.Errorf("disallowed vCenter: fields %v", got)
	}
	_, err = s.CreateClusterIn(ctx, "team-b", quotaSpec("four", 0), "alice")
	if got := validationFields(t, err); !slices.Equal(got, []string{"project"}) || !strings.Contains(err.Error(), `no project named "team-b"`) {
		t.Errorf("unknown project: %v", err)
	}
	bad = quotaSpec("four", 0)
	bad.VCenter = "vc9"
	_, err = s.CreateClusterIn(ctx, "team-b", bad, "alice")
	if got := validationFields(t, err); !slices.Equal(got, []string{"project", "vcenter"}) {
		t.Errorf("unknown project and vCenter: fields %v", got)
	}
	if _, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("two", 0), "alice"); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a taken name: %v", err)
	}
	if n := countClusters(t, s); n != 2 {
		t.Fatalf("%d live clusters after the refusals, want 2", n)
	}

	// The default project has no quota (and CreateCluster puts clusters there).
	c, err := s.CreateCluster(ctx, quotaSpec("big", 50), "alice")
	if err != nil || c.Project != domain.DefaultProject {
		t.Fatalf("default project: %+v, %v", c.Project, err)
	}
}

// TestQuotaReservations: an operation's reservation counts against its project's quotas
// while it is active, beside the clusters' specs, and is refused when there is no room;
// it is released when the operation ends or is removed, and when a scale records its
// pool in the spec (which then counts the nodes).
func TestQuotaReservations(t *testing.T) {
	ctx := context.Background()
	s := quotaStore(t, "team-a", domain.Quotas{VCPUs: quota(20)})
	a, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("a", 1), "alice") // 8 vCPUs
	if err != nil {
		t.Fatal(err)
	}
	worker := domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}
	scaleOp := func(c domain.Cluster, plan domain.ScalePlan) domain.Operation {
		r := domain.ScaleReservation(plan)
		return domain.Operation{Kind: domain.OpScaleCluster, Actor: "alice", WorkflowID: "wf-" + c.Name, Reserve: &r,
			Target: domain.Target{Kind: "cluster", ID: c.ID, Name: c.Name}}
	}
	scaleA := domain.ScalePlan{Pool: domain.WorkerPool{Name: "default", NodeShape: worker}, From: 1} // +4 vCPUs
	opA, err := s.CreateOperation(ctx, scaleOp(a, scaleA))
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.ProjectUsage(ctx, "team-a")
	if err != nil || u.VCPUs != 8 || u.Reserved != (domain.Resources{Nodes: 1, VCPUs: 4, MemoryMiB: 8192, DiskGiB: 60}) {
		t.Fatalf("usage with a reservation: %+v, %v", u, err)
	}

	// A provision counts the reservation: 8 + 4 + 8 = 20 fits exactly.
	b, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("b", 1), "alice")
	if err != nil {
		t.Fatalf("provision exactly at the quota beside a reservation: %v", err)
	}
	// No room left for b's scale.
	ops := countRows(t, s, "operations")
	_, err = s.CreateOperation(ctx, scaleOp(b, scaleA))
	want := []domain.FieldError{{Field: "quotas.vcpus",
		Message: "project team-a would hold 24 vCPUs, over its quota of 20 (holds 16, running operations reserve 4, this asks 4)"}}
	if got := quotaFields(t, err); !slices.Equal(got, want) {
		t.Fatalf("over quota: %+v\nwant %+v", got, want)
	}
	if n := countRows(t, s, "operations"); n != ops {
		t.Fatalf("a refused operation was recorded: %d rows, then %d", ops, n)
	}
	// An operation reserving nothing (a scale down, an upgrade) is not refused.
	down := scaleOp(b, domain.ScalePlan{Pool: domain.WorkerPool{Name: "default", NodeShape: domain.NodeShape{Replicas: 0}}, From: 1})
	down.WorkflowID = "wf-b-down"
	opDown, err := s.CreateOperation(ctx, down)
	if err != nil {
		t.Fatalf("a scale down at the quota: %v", err)
	}
	if err := s.FinishOperation(ctx, opDown.ID, domain.OpSucceeded, ""); err != nil {
		t.Fatal(err)
	}

	// A's scale ends: its reservation is released, and b's scale fits.
	if err := s.FinishOperation(ctx, opA.ID, domain.OpFailed, "stopped"); err != nil {
		t.Fatal(err)
	}
	opB, err := s.CreateOperation(ctx, scaleOp(b, scaleA))
	if err != nil {
		t.Fatalf("after a's scale ended: %v", err)
	}
	// b's scale records its pool: the spec counts the node, the reservation goes, in one
	// transaction; the total stays 20.
	if err := s.SetWorkerPool(ctx, b.ID, domain.WorkerPool{Name: "default", NodeShape: worker}); err != nil {
		t.Fatal(err)
	}
	u, err = s.ProjectUsage(ctx, "team-a")
	if err != nil || u.VCPUs != 20 || !u.Reserved.IsZero() {
		t.Fatalf("usage after the pool was recorded: %+v, %v", u, err)
	}
	if op, err := s.GetOperation(ctx, opB.ID); err != nil || !domain.OperationActive(op.State) {
		t.Fatalf("b's scale: %+v, %v", op, err)
	}

	// A reservation removed with its operation (its workflow never started) is released.
	if err := s.SetClusterPhase(ctx, b.ID, domain.PhaseDeleted, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishOperation(ctx, opB.ID, domain.OpSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	big := domain.ScalePlan{Pool: domain.WorkerPool{Name: "default", NodeShape: domain.NodeShape{Replicas: 4, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}, From: 1}
	opA2, err := s.CreateOperation(ctx, scaleOp(a, big)) // 8 + 12 = 20
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("c", 0), "alice"); err == nil {
		t.Fatal("a provision took room a reservation holds")
	}
	if err := s.DeleteOperation(ctx, opA2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("c", 0), "alice"); err != nil {
		t.Fatalf("after the reserving operation was removed: %v", err)
	}
}

// countRows counts the rows of table.
func countRows(t *testing.T, s *inventory.Store, table string) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestQuotaRace: requests racing for a project's last room, started together, are
// accepted exactly as far as the room goes: provisions (room for one of eight), and
// operations reserving nodes (room for one of two).
func TestQuotaRace(t *testing.T) {
	ctx := context.Background()
	s := quotaStore(t, "team-a", domain.Quotas{VCPUs: quota(16)})
	if _, err := s.CreateClusterIn(ctx, "team-a", quotaSpec("base", 1), "alice"); err != nil { // 8 of 16
		t.Fatal(err)
	}
	race := func(n int, try func(i int) error) (accepted int) {
		t.Helper()
		warmPool(t, s, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = try(i)
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			var qe *domain.QuotaError
			switch {
			case err == nil:
				accepted++
			case !errors.As(err, &qe):
				t.Errorf("a racing request failed otherwise: %v", err)
			}
		}
		return accepted
	}
	if got := race(8, func(i int) error {
		_, err := s.CreateClusterIn(ctx, "team-a", quotaSpec(fmt.Sprintf("racer-%d", i), 1), "alice") // 8 each
		return err
	}); got != 1 {
		t.Fatalf("%d of 8 racing provisions accepted for the room of one", got)
	}
	if n := countClusters(t, s); n != 2 {
		t.Fatalf("%d live clusters, want 2", n)
	}
	// More rounds, in fresh projects with room for one, the racers many.
	for round := range 5 {
		project := fmt.Sprintf("round-%d", round)
		createQuotaProject(t, s, project, domain.Quotas{Clusters: quota(1)})
		if got := race(4, func(i int) error {
			_, err := s.CreateClusterIn(ctx, project, quotaSpec(fmt.Sprintf("%s-%d", project, i), 0), "alice")
			return err
		}); got != 1 {
			t.Fatalf("%s: %d of 4 racing provisions accepted for the room of one", project, got)
		}
	}

	// Two clusters in a second project, each scaling up into its last room.
	createQuotaProject(t, s, "team-b", domain.Quotas{Nodes: quota(5)})
	var clusters []domain.Cluster
	for _, name := range []string{"left", "right"} {
		c, err := s.CreateClusterIn(ctx, "team-b", quotaSpec(name, 1), "alice") // 2 nodes each
		if err != nil {
			t.Fatal(err)
		}
		clusters = append(clusters, c)
	}
	plan := domain.ScalePlan{Pool: domain.WorkerPool{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}, From: 1}
	r := domain.ScaleReservation(plan)
	if got := race(2, func(i int) error {
		c := clusters[i]
		_, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpScaleCluster, Actor: "alice", WorkflowID: "wf-" + c.Name,
			Reserve: &r, Target: domain.Target{Kind: "cluster", ID: c.ID, Name: c.Name}})
		return err
	}); got != 1 {
		t.Fatalf("%d of 2 racing scale ups accepted for the room of one", got)
	}
	if u, err := s.ProjectUsage(ctx, "team-b"); err != nil || u.Nodes != 4 || u.Reserved.Nodes != 1 {
		t.Fatalf("usage of team-b after the race: %+v, %v", u, err)
	}
}

// warmPool opens up to n connections of the store's pool, so that racing requests do not
// queue behind connection setup (and so run one after the other) but overlap.
func warmPool(t *testing.T, s *inventory.Store, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Pool().Exec(context.Background(), `SELECT pg_sleep(0.05)`); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
