package domain

import (
	"errors"
	"slices"
	"testing"
)

func limit(n int64) *int64 { return &n }

// TestCheckQuotas: exactly at a quota passes, one over is refused with the numbers, one
// entry per quota exceeded; reservations are counted and named; an unset quota, or one
// the request takes nothing of, is not checked.
func TestCheckQuotas(t *testing.T) {
	q := Quotas{Clusters: limit(2), VCPUs: limit(16), MemoryMiB: limit(32768), Nodes: limit(4)}
	holds := Resources{Clusters: 1, VCPUs: 8, MemoryMiB: 16384, DiskGiB: 1000, Nodes: 2}
	asks := Resources{Clusters: 1, VCPUs: 8, MemoryMiB: 16384, DiskGiB: 5000, Nodes: 2}
	if err := CheckQuotas("team-a", q, holds, Resources{}, asks); err != nil {
		t.Fatalf("exactly at every quota: %v", err)
	}

	err := CheckQuotas("team-a", q, holds, Resources{VCPUs: 4, Nodes: 1}, asks)
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.Project != "team-a" {
		t.Fatalf("over: %v", err)
	}
	want := []FieldError{
		{"quotas.vcpus", "project team-a would hold 20 vCPUs, over its quota of 16 (holds 8, running operations reserve 4, this asks 8)"},
		{"quotas.nodes", "project team-a would hold 5 nodes, over its quota of 4 (holds 2, running operations reserve 1, this asks 2)"},
	}
	if !slices.Equal(qe.Fields, want) {
		t.Fatalf("fields %+v\nwant %+v", qe.Fields, want)
	}

	err = CheckQuotas("team-a", q, Resources{Clusters: 2, VCPUs: 12, MemoryMiB: 40000}, Resources{}, Resources{Clusters: 1, VCPUs: 4, MemoryMiB: 1})
	if !errors.As(err, &qe) {
		t.Fatalf("over clusters and memory: %v", err)
	}
	want = []FieldError{
		{"quotas.clusters", "project team-a would hold 3 clusters, over its quota of 2 (holds 2, this asks 1)"},
		{"quotas.memory_mib", "project team-a would hold 40001 MiB of memory, over its quota of 32768 (holds 40000, this asks 1)"},
	}
	if !slices.Equal(qe.Fields, want) {
		t.Fatalf("fields %+v\nwant %+v", qe.Fields, want)
	}

	// Over a lowered quota already, a request asking nothing of it passes.
	if err := CheckQuotas("team-a", Quotas{VCPUs: limit(4), Nodes: limit(100)}, holds, Resources{}, Resources{Nodes: 1}); err != nil {
		t.Fatalf("asking nothing of an exceeded quota: %v", err)
	}
	if err := CheckQuotas("team-a", Quotas{}, holds, holds, Resources{VCPUs: 1 << 40}); err != nil {
		t.Fatalf("no quotas: %v", err)
	}
	if err := CheckQuotas("team-a", Quotas{VCPUs: limit(0)}, Resources{}, Resources{}, Resources{VCPUs: 1}); err == nil {
		t.Fatal("a zero quota allowed one vCPU")
	}
}

// TestReservations: a scale up reserves the nodes it adds, a scale down nothing; a
// replacement one node of the replaced node's pool.
func TestReservations(t *testing.T) {
	shape := NodeShape{Replicas: 5, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}
	if got, want := ScaleReservation(ScalePlan{Pool: WorkerPool{Name: "default", NodeShape: shape}, From: 2}),
		(Resources{Nodes: 3, VCPUs: 12, MemoryMiB: 24576, DiskGiB: 180}); got != want {
		t.Errorf("scale up from 2 to 5: %+v, want %+v", got, want)
	}
	if got := ScaleReservation(ScalePlan{Pool: WorkerPool{Name: "default", NodeShape: shape}, From: 7}); !got.IsZero() {
		t.Errorf("scale down: %+v", got)
	}
	spec := ClusterSpec{ControlPlane: NodeShape{Replicas: 3, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools: []WorkerPool{{Name: "gpu", NodeShape: shape}}}
	if got, want := ReplaceReservation(spec, Node{Role: RoleNameControlPlane, Pool: ControlPlanePool}),
		(Resources{Nodes: 1, VCPUs: 2, MemoryMiB: 4096, DiskGiB: 40}); got != want {
		t.Errorf("replace a control plane: %+v, want %+v", got, want)
	}
	if got, want := ReplaceReservation(spec, Node{Role: RoleNameWorker, Pool: "gpu"}),
		(Resources{Nodes: 1, VCPUs: 4, MemoryMiB: 8192, DiskGiB: 60}); got != want {
		t.Errorf("replace a worker: %+v, want %+v", got, want)
	}
	if got := ReplaceReservation(spec, Node{Role: RoleNameWorker, Pool: "gone"}); !got.IsZero() {
		t.Errorf("replace a node of no pool: %+v", got)
	}
}

// TestProjectCheckSpec names each field a project does not allow.
func TestProjectCheckSpec(t *testing.T) {
	p := Project{Name: "team-a", VCenters: []string{"vc1"}, IPPools: []string{"lab"},
		Placements: []PlacementScope{{VCenter: "vc1", Datacenter: "DC0", ComputeCluster: AllowAll}}}
	spec := ClusterSpec{VCenter: "vc1", Placement: Placement{Datacenter: "DC0", ComputeCluster: "C1"}, Network: NetworkSpec{IPPool: "lab"}}
	if err := p.CheckSpec(spec); err != nil {
		t.Fatalf("allowed spec: %v", err)
	}
	spec.VCenter, spec.Network.IPPool, spec.Placement.Datacenter = "vc2", "other", "DC1"
	v, ok := AsValidation(p.CheckSpec(spec))
	if !ok {
		t.Fatal("no validation error")
	}
	want := []FieldError{
		{"vcenter", `project team-a does not allow vCenter "vc2"`},
		{"network.ip_pool", `project team-a does not allow IP pool "other"`},
		{"placement.compute_cluster", "project team-a does not allow placement on vc2/DC1/C1"},
	}
	if !slices.Equal(v.Fields, want) {
		t.Fatalf("fields %+v\nwant %+v", v.Fields, want)
	}
	if err := DefaultProjectInput().project().CheckSpec(spec); err != nil {
		t.Fatalf("the default project refused: %v", err)
	}
}

// project is the project the input describes, for tests.
func (in ProjectInput) project() Project {
	return Project{Name: in.Name, VCenters: in.VCenters, IPPools: in.IPPools, Placements: in.Placements}
}
