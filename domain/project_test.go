package domain

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func fieldsInOrder(t *testing.T, err error) []string {
	t.Helper()
	v, ok := AsValidation(err)
	if !ok {
		t.Fatalf("error %v is no ValidationError", err)
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

func ptr(n int64) *int64 { return &n }

func TestProjectInputValidateNormalizes(t *testing.T) {
	in := ProjectInput{Name: "team-a", Members: []ProjectMember{{Subject: "alice@example.com", Role: RoleAdmin},
		{Subject: "ci", Kind: MemberToken, Role: RoleOperator}}, Quotas: Quotas{VCPUs: ptr(64), Clusters: ptr(0)}}
	if err := in.Validate(); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	if in.Members[0].Kind != MemberPerson {
		t.Errorf("member without kind = %q, want person", in.Members[0].Kind)
	}
	if in.VCenters == nil || in.IPPools == nil || in.Placements == nil {
		t.Errorf("nil lists not made empty: %+v", in)
	}
	// A person and a token may have the same name: they are different members.
	in.Members = append(in.Members, ProjectMember{Subject: "ci", Role: RoleViewer})
	if err := in.Validate(); err != nil {
		t.Fatalf("person and token of one name: %v", err)
	}
}

func TestProjectInputValidateNamesEveryBadField(t *testing.T) {
	in := ProjectInput{
		Name:        "Team_A",
		Description: strings.Repeat("x", MaxDescription+1),
		Members: []ProjectMember{
			{Subject: "alice", Kind: "group", Role: RoleAdmin},
			{Subject: "bob", Role: "owner"},
			{Subject: "carol", Role: RoleViewer},
			{Subject: "carol", Role: RoleOperator},
			{Subject: "Not A Token", Kind: MemberToken, Role: RoleViewer},
			{Subject: " dave", Role: RoleViewer},
			{Subject: "", Role: RoleViewer},
		},
		Quotas:     Quotas{VCPUs: ptr(-1), DiskGiB: ptr(-5)},
		VCenters:   []string{"vc1", "*"},
		IPPools:    []string{"lab", "lab"},
		Placements: []PlacementScope{{VCenter: "vc1", Datacenter: "", ComputeCluster: "*"}, {VCenter: "VC!", Datacenter: "DC0", ComputeCluster: "C0"}},
	}
	got := fieldsInOrder(t, in.Validate())
	want := []string{"name", "description", "members[0].kind", "members[1].role", "members[3].subject", "members[4].subject",
		"members[5].subject", "members[6].subject", "quotas.vcpus", "quotas.disk_gib", "vcenters[1]", "ip_pools[1]",
		"placements[0].datacenter", "placements[1].vcenter"}
	if !slices.Equal(got, want) {
		t.Fatalf("fields = %v\nwant     %v", got, want)
	}
}

func TestProjectAllowLists(t *testing.T) {
	none := Project{}
	pl := Placement{Datacenter: "DC0", ComputeCluster: "DC0_C0"}
	if none.AllowsVCenter("vc1") || none.AllowsIPPool("lab") || none.AllowsPlacement("vc1", pl) {
		t.Fatal("a project with empty lists allows something")
	}
	in := DefaultProjectInput()
	if err := in.Validate(); err != nil {
		t.Fatalf("default project input: %v", err)
	}
	def := Project{VCenters: in.VCenters, IPPools: in.IPPools, Placements: in.Placements}
	if !def.AllowsVCenter("vc1") || !def.AllowsIPPool("lab") || !def.AllowsPlacement("vc9", pl) {
		t.Fatal("the default project does not allow everything")
	}
	p := Project{VCenters: []string{"vc1"}, IPPools: []string{"lab"},
		Placements: []PlacementScope{{VCenter: "vc1", Datacenter: "DC0", ComputeCluster: AllowAll}}}
	if !p.AllowsVCenter("vc1") || p.AllowsVCenter("vc2") || !p.AllowsIPPool("lab") || p.AllowsIPPool("lab2") {
		t.Fatal("named lists wrong")
	}
	if !p.AllowsPlacement("vc1", pl) || p.AllowsPlacement("vc2", pl) || p.AllowsPlacement("vc1", Placement{Datacenter: "DC1", ComputeCluster: "DC0_C0"}) {
		t.Fatal("placement scopes wrong")
	}
}

func TestProjectPatch(t *testing.T) {
	cur := Project{Name: "team-a", Description: "old", Members: []ProjectMember{{Subject: "alice", Kind: MemberPerson, Role: RoleAdmin}},
		Quotas: Quotas{Clusters: ptr(3), VCPUs: ptr(32), Nodes: ptr(10)}, VCenters: []string{"vc1"}, IPPools: []string{"lab"},
		Placements: []PlacementScope{}}
	var p ProjectPatch
	if err := json.Unmarshal([]byte(`{"quotas": {"vcpus": 64, "nodes": null, "disk_gib": 500}, "vcenters": [], "members": null}`), &p); err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(cur)
	if err != nil {
		t.Fatal(err)
	}
	q := out.Quotas
	if q.Clusters == nil || *q.Clusters != 3 || *q.VCPUs != 64 || q.Nodes != nil || *q.DiskGiB != 500 || q.MemoryMiB != nil {
		t.Fatalf("quotas after merge patch = %+v", q)
	}
	if len(out.VCenters) != 0 || out.VCenters == nil || !slices.Equal(out.IPPools, cur.IPPools) || len(out.Members) != 1 ||
		out.Description != "old" || out.Name != "team-a" {
		t.Fatalf("patched = %+v", out)
	}
	out.IPPools[0] = "changed"
	if cur.IPPools[0] != "lab" {
		t.Fatal("Apply shares its lists with the current project")
	}

	if got := fieldsInOrder(t, func() error { _, err := (ProjectPatch{}).Apply(cur); return err }()); !slices.Equal(got, []string{"body"}) {
		t.Fatalf("empty patch fields = %v", got)
	}
	bad := ProjectPatch{Members: &[]ProjectMember{{Subject: "x", Role: "root"}}, Quotas: &QuotasPatch{Clusters: QuotaChange{Set: true, Value: ptr(-1)}}}
	if got := fieldsInOrder(t, func() error { _, err := bad.Apply(cur); return err }()); !slices.Equal(got, []string{"members[0].role", "quotas.clusters"}) {
		t.Fatalf("bad patch fields = %v", got)
	}
	if err := json.Unmarshal([]byte(`{"quotas": {"vcpus": "many"}}`), &p); err == nil {
		t.Fatal("a quota that is no number was accepted")
	}

	// A patch written by a client leaves out the quotas it does not change.
	b, err := json.Marshal(ProjectPatch{Quotas: &QuotasPatch{VCPUs: QuotaChange{Set: true, Value: ptr(8)}, Nodes: QuotaChange{Set: true}}})
	if err != nil || string(b) != `{"quotas":{"vcpus":8,"nodes":null}}` {
		t.Fatalf("marshal patch = %s, %v", b, err)
	}
}

func TestProjectMemberValidate(t *testing.T) {
	m := ProjectMember{Subject: "alice", Role: RoleViewer}
	if err := m.Validate(); err != nil || m.Kind != MemberPerson {
		t.Fatalf("member = %+v, %v", m, err)
	}
	bad := ProjectMember{Subject: "a\x00b", Kind: MemberPerson, Role: "x"}
	if got := fieldsInOrder(t, bad.Validate()); !slices.Equal(got, []string{"subject", "role"}) {
		t.Fatalf("fields = %v", got)
	}
}

func TestSpecResources(t *testing.T) {
	spec := ClusterSpec{ControlPlane: NodeShape{Replicas: 3, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools: []WorkerPool{{Name: "a", NodeShape: NodeShape{Replicas: 2, CPUs: 8, MemoryMiB: 16384, DiskGiB: 100}},
			{Name: "b", NodeShape: NodeShape{Replicas: 0, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}}}
	got := SpecResources(spec)
	want := Resources{Clusters: 1, VCPUs: 3*4 + 2*8, MemoryMiB: 3*8192 + 2*16384, DiskGiB: 3*60 + 2*100, Nodes: 5}
	if got != want {
		t.Fatalf("SpecResources = %+v, want %+v", got, want)
	}
	if sum := got.Add(got); sum.Clusters != 2 || sum.VCPUs != 2*want.VCPUs || sum.Nodes != 10 {
		t.Fatalf("Add = %+v", sum)
	}
}

func TestProjectErrors(t *testing.T) {
	if !errors.Is(ErrDefaultProject, ErrConflict) {
		t.Fatal("ErrDefaultProject does not wrap ErrConflict")
	}
	err := error(&ProjectInUseError{Project: "team-a", Clusters: 2, ClusterSets: 1})
	if !errors.Is(err, ErrConflict) || err.Error() != "project team-a still holds 2 clusters and 1 ClusterSet: delete them first" {
		t.Fatalf("in use error = %q", err)
	}
}

func TestProjectJSONShape(t *testing.T) {
	b, err := json.Marshal(Project{Name: "team-a", Quotas: Quotas{VCPUs: ptr(8)}, Members: []ProjectMember{{Subject: "alice", Kind: MemberPerson, Role: RoleViewer}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"quotas":{"clusters":null,"vcpus":8,"memory_mib":null,"disk_gib":null,"nodes":null}`,
		`"members":[{"subject":"alice","kind":"person","role":"viewer"}]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("project JSON %s lacks %s", b, want)
		}
	}
	var in ProjectInput
	if err := json.Unmarshal([]byte(`{"name": "team-a", "members": [{"subject": "alice", "role": "admin"}], "quotas": {"nodes": 10}, "vcenters": ["*"]}`), &in); err != nil {
		t.Fatal(err)
	}
	if err := in.Validate(); err != nil || *in.Quotas.Nodes != 10 || in.Quotas.VCPUs != nil || in.Members[0].Kind != MemberPerson {
		t.Fatalf("input = %+v, %v", in, err)
	}
}
