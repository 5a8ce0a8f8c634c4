package inventory_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func quota(n int64) *int64 { return &n }

// validationFields returns the fields a *domain.ValidationError names, in order.
func validationFields(t *testing.T, err error) []string {
	t.Helper()
	v, ok := domain.AsValidation(err)
	if !ok {
		t.Fatalf("error %v is no validation error", err)
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

// registerVCenter registers a vCenter of that name (no clusters).
func registerVCenter(t *testing.T, s *inventory.Store, name string) domain.VCenter {
	t.Helper()
	in := domain.VCenterInput{Name: name, Server: name, Username: "u", Password: "p"}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	v, err := s.CreateVCenter(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// moveCluster puts the live cluster named cluster into the live project named project, by
// hand (no store method moves clusters yet).
func moveCluster(t *testing.T, s *inventory.Store, cluster, project string) {
	t.Helper()
	tag, err := s.Pool().Exec(context.Background(), `UPDATE clusters SET project_id =
		(SELECT id FROM projects WHERE name = $2 AND deleted_at IS NULL) WHERE name = $1 AND deleted_at IS NULL`, cluster, project)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("move cluster %s into project %s: %v, %d rows", cluster, project, err, tag.RowsAffected())
	}
}

func TestDefaultProjectIsTheMigrations(t *testing.T) {
	s := inventorytest.NewStore(t)
	p, err := s.GetProject(context.Background(), domain.DefaultProject)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.DefaultProjectInput()
	if p.ID != inventory.DefaultProjectID || p.Description != want.Description || !slices.Equal(p.VCenters, want.VCenters) ||
		!slices.Equal(p.IPPools, want.IPPools) || !slices.Equal(p.Placements, want.Placements) || len(p.Members) != 0 ||
		p.Quotas != (domain.Quotas{}) {
		t.Fatalf("default project = %+v\nwant %+v", p, want)
	}
}

func TestProjectCreateGetListPatch(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)

	in := domain.ProjectInput{Name: "team-a", Description: "Team A",
		Members: []domain.ProjectMember{{Subject: "alice", Role: domain.RoleAdmin}, {Subject: "bob", Role: domain.RoleViewer},
			{Subject: "ci", Kind: domain.MemberToken, Role: domain.RoleOperator}},
		Quotas:     domain.Quotas{Clusters: quota(3), VCPUs: quota(64)},
		VCenters:   []string{"vc1"},
		IPPools:    []string{"lab"},
		Placements: []domain.PlacementScope{{VCenter: "vc1", Datacenter: "DC0", ComputeCluster: "*"}, {VCenter: "vc2", Datacenter: "*", ComputeCluster: "*"}},
	}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	// Nothing is registered yet: every reference is named, and nothing is created.
	_, err := s.CreateProject(ctx, in, "root")
	if got := validationFields(t, err); !slices.Equal(got, []string{"vcenters[0]", "placements[0].vcenter", "placements[1].vcenter", "ip_pools[0]"}) {
		t.Fatalf("unknown references: fields %v", got)
	}
	if _, err := s.GetProject(ctx, "team-a"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("project created despite bad references: %v", err)
	}

	registerVCenter(t, s, "vc1")
	vc2 := registerVCenter(t, s, "vc2")
	pool := domain.IPPoolInput{Name: "lab", CIDR: "10.1.0.0/24", RangeStart: "10.1.0.10", RangeEnd: "10.1.0.20"}
	if _, err := s.CreateIPPool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, in, "root")
	if err != nil {
		t.Fatal(err)
	}
	wantMembers := []domain.ProjectMember{{Subject: "alice", Kind: "person", Role: "admin"}, {Subject: "bob", Kind: "person", Role: "viewer"},
		{Subject: "ci", Kind: "token", Role: "operator"}}
	if p.ID == "" || p.Name != "team-a" || p.Description != "Team A" || !slices.Equal(p.Members, wantMembers) ||
		*p.Quotas.Clusters != 3 || *p.Quotas.VCPUs != 64 || p.Quotas.Nodes != nil || !slices.Equal(p.VCenters, in.VCenters) ||
		!slices.Equal(p.IPPools, in.IPPools) || !slices.Equal(p.Placements, in.Placements) || p.CreatedAt.IsZero() || p.CreatedBy != "root" {
		t.Fatalf("created = %+v", p)
	}
	if _, err := s.CreateProject(ctx, in, "root"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}

	first, next, err := s.ListProjects(ctx, inventory.Page{Limit: 1})
	if err != nil || len(first) != 1 || first[0].Name != "default" || next == "" {
		t.Fatalf("first page = %v, %q, %v", first, next, err)
	}
	second, next, err := s.ListProjects(ctx, inventory.Page{Limit: 1, Cursor: next})
	if err != nil || len(second) != 1 || second[0].Name != "team-a" || !slices.Equal(second[0].Members, wantMembers) || next != "" {
		t.Fatalf("second page = %+v, %q, %v", second, next, err)
	}

	// Quotas merge, members are replaced (alice changes role, bob goes, carol comes).
	members := []domain.ProjectMember{{Subject: "alice", Kind: "person", Role: "operator"}, {Subject: "carol", Kind: "person", Role: "viewer"},
		{Subject: "ci", Kind: "token", Role: "operator"}}
	patch := domain.ProjectPatch{Members: &members, Quotas: &domain.QuotasPatch{VCPUs: domain.QuotaChange{Set: true},
		Nodes: domain.QuotaChange{Set: true, Value: quota(12)}}}
	p, err = s.PatchProject(ctx, "team-a", patch)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Members, members) || *p.Quotas.Clusters != 3 || p.Quotas.VCPUs != nil || *p.Quotas.Nodes != 12 ||
		!slices.Equal(p.VCenters, in.VCenters) || !p.UpdatedAt.After(p.CreatedAt) {
		t.Fatalf("patched = %+v", p)
	}
	bad := []string{"vc1", "vc9"}
	if _, err := s.PatchProject(ctx, "team-a", domain.ProjectPatch{VCenters: &bad}); !slices.Equal(validationFields(t, err), []string{"vcenters[1]"}) {
		t.Fatalf("patch with an unknown vCenter: %v", err)
	}
	if _, err := s.PatchProject(ctx, "nope", patch); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("patch of an unknown project = %v", err)
	}
	// A vCenter that went away does not block changes that do not list vCenters.
	if err := s.DeleteVCenter(ctx, vc2.ID); err != nil {
		t.Fatal(err)
	}
	desc := "Team A, now with a longer description"
	if p, err = s.PatchProject(ctx, "team-a", domain.ProjectPatch{Description: &desc}); err != nil || p.Description != desc || len(p.Placements) != 2 {
		t.Fatalf("patch of the description = %+v, %v", p, err)
	}
	none := []string{}
	if p, err = s.PatchProject(ctx, "team-a", domain.ProjectPatch{IPPools: &none}); err != nil || p.IPPools == nil || len(p.IPPools) != 0 || p.AllowsIPPool("lab") {
		t.Fatalf("patch to no IP pools = %+v, %v", p, err)
	}
}

func TestProjectMembers(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	for _, name := range []string{"team-a", "team-b"} {
		in := domain.ProjectInput{Name: name, Members: []domain.ProjectMember{{Subject: "alice", Role: domain.RoleViewer}}}
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateProject(ctx, in, "root"); err != nil {
			t.Fatal(err)
		}
	}
	m := domain.ProjectMember{Subject: "alice", Role: domain.RoleAdmin}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := s.SetProjectMember(ctx, "team-b", m)
	if err != nil || p.MemberRole(domain.MemberPerson, "alice") != domain.RoleAdmin || len(p.Members) != 1 {
		t.Fatalf("set member = %+v, %v", p, err)
	}
	tok := domain.ProjectMember{Subject: "alice", Kind: domain.MemberToken, Role: domain.RoleOperator}
	if p, err = s.SetProjectMember(ctx, "team-b", tok); err != nil || len(p.Members) != 2 || p.MemberRole(domain.MemberToken, "alice") != domain.RoleOperator {
		t.Fatalf("add a token of the same name = %+v, %v", p, err)
	}
	if _, err := s.SetProjectMember(ctx, "nope", m); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("member of an unknown project = %v", err)
	}
	got, err := s.ProjectMemberships(ctx, domain.MemberPerson, "alice")
	want := []domain.ProjectMembership{{Project: "team-a", Role: domain.RoleViewer}, {Project: "team-b", Role: domain.RoleAdmin}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("memberships = %v, %v; want %v", got, err, want)
	}
	if err := s.RemoveProjectMember(ctx, "team-a", domain.MemberPerson, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveProjectMember(ctx, "team-a", domain.MemberPerson, "alice"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("second remove = %v, want ErrNotFound", err)
	}
	if got, _ := s.ProjectMemberships(ctx, domain.MemberPerson, "alice"); len(got) != 1 || got[0].Project != "team-b" {
		t.Fatalf("memberships after remove = %v", got)
	}
	// A deleted project's members are gone with it.
	if err := s.DeleteProject(ctx, "team-b"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ProjectMemberships(ctx, domain.MemberToken, "alice"); err != nil || len(got) != 0 {
		t.Fatalf("memberships in a deleted project = %v, %v", got, err)
	}
}

func TestDeleteProject(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	if err := s.DeleteProject(ctx, domain.DefaultProject); !errors.Is(err, domain.ErrDefaultProject) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("delete default = %v", err)
	}
	if err := s.DeleteProject(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("delete unknown = %v", err)
	}
	in := domain.ProjectInput{Name: "team-a"}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	first, err := s.CreateProject(ctx, in, "root")
	if err != nil {
		t.Fatal(err)
	}
	ids := setClusters(t, s)
	moveCluster(t, s, "east", "team-a")
	moveCluster(t, s, "west", "team-a")
	if _, err := s.CreateClusterSet(ctx, setSpec("east", "west"), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE clustersets SET project_id = $1`, first.ID); err != nil {
		t.Fatal(err)
	}
	err = s.DeleteProject(ctx, "team-a")
	var inUse *domain.ProjectInUseError
	if !errors.As(err, &inUse) || inUse.Clusters != 2 || inUse.ClusterSets != 1 || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("delete of a project holding clusters = %v", err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE clustersets SET deleted_at = now()`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"east", "west"} {
		if err := s.SetClusterPhase(ctx, ids[name], domain.PhaseDeleted, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteProject(ctx, "team-a"); err != nil {
		t.Fatalf("delete of an emptied project: %v", err)
	}
	if _, err := s.GetProject(ctx, "team-a"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted project still found: %v", err)
	}
	// The deleted clusters keep their project; the name is free again.
	var project string
	if err := s.Pool().QueryRow(ctx, `SELECT project_id::text FROM clusters WHERE id = $1`, ids["east"]).Scan(&project); err != nil || project != first.ID {
		t.Fatalf("deleted cluster's project = %s, %v; want %s", project, err, first.ID)
	}
	again, err := s.CreateProject(ctx, in, "root")
	if err != nil || again.ID == first.ID {
		t.Fatalf("re-created project = %+v, %v", again, err)
	}
	if list, _, err := s.ListProjects(ctx, inventory.Page{}); err != nil || len(list) != 2 {
		t.Fatalf("projects = %v, %v; want default and the new team-a", list, err)
	}
}

// TestDeleteProjectWaitsForAClusterBeingCreated: a cluster inserted into a project in a
// transaction that has not committed yet makes a delete of the project wait, then refuse;
// a cluster inserted while a delete holds the project fails once the delete commits.
func TestDeleteProjectWaitsForAClusterBeingCreated(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	var ids []string
	for _, name := range []string{"team-a", "team-b"} {
		in := domain.ProjectInput{Name: name}
		_ = in.Validate()
		p, err := s.CreateProject(ctx, in, "root")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}

	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO clusters (name, spec, project_id) VALUES ('c1', '{}', $1)`, ids[0]); err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() { deleted <- s.DeleteProject(ctx, "team-a") }()
	waitBlocked(t, s, "delete of team-a")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var inUse *domain.ProjectInUseError
	if err := <-deleted; !errors.As(err, &inUse) || inUse.Clusters != 1 {
		t.Fatalf("delete that waited for a cluster insert = %v, want ProjectInUseError", err)
	}

	// The other order: a delete holds team-b (as DeleteProject does) while a cluster goes in.
	tx, err = s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, ids[1]); err != nil {
		t.Fatal(err)
	}
	inserted := make(chan error, 1)
	go func() {
		_, err := s.Pool().Exec(ctx, `INSERT INTO clusters (name, spec, project_id) VALUES ('c2', '{}', $1)`, ids[1])
		inserted <- err
	}()
	waitBlocked(t, s, "insert into team-b")
	if _, err := tx.Exec(ctx, `UPDATE projects SET deleted_at = now() WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-inserted; err == nil || !strings.Contains(err.Error(), "is deleted") {
		t.Fatalf("insert into a project deleted meanwhile = %v, want the trigger to refuse it", err)
	}
}

// waitBlocked waits until some session of the test database waits for a lock.
func waitBlocked(t *testing.T, s *inventory.Store, what string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		var n int
		err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never waited for a lock", what)
}
