package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestProjectsAPI drives the project endpoints on one stack: create, list, get with
// usage, patch, delete; fields named in 400s; 404, 409 for a taken name, a project in
// use and the default project; a viewer refused (403); and the audit event of every
// change, refused ones included.
func TestProjectsAPI(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	s := env.App.Store
	if _, err := s.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIPPool(ctx, domain.IPPoolInput{Name: "lab", CIDR: "127.71.0.0/24", RangeStart: "127.71.0.10",
		RangeEnd: "127.71.0.250", Gateway: "127.71.0.1"}); err != nil {
		t.Fatal(err)
	}
	viewer := env.Token("watcher", domain.RoleViewer)
	operator := env.Token("ops", domain.RoleOperator)
	admin := env.AdminToken

	// Create.
	body := `{"name": "team-a", "description": "Team A",
		"members": [{"subject": "alice@example.com", "role": "admin"}, {"subject": "ci", "kind": "token", "role": "operator"}],
		"quotas": {"clusters": 2, "vcpus": 32, "nodes": null},
		"vcenters": ["vc1"], "ip_pools": ["*"],
		"placements": [{"vcenter": "vc1", "datacenter": "DC0", "compute_cluster": "*"}]}`
	r := env.Do("POST", "/api/v1/projects", admin, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/projects/team-a" {
		t.Errorf("Location = %q", loc)
	}
	var created api.ProjectReply
	r.JSON(t, &created)
	if created.Name != "team-a" || created.Description != "Team A" || created.CreatedBy != "admin" || len(created.Members) != 2 ||
		created.Members[0].Kind != domain.MemberPerson || created.Quotas.Clusters == nil || *created.Quotas.Clusters != 2 ||
		created.Quotas.Nodes != nil || !slices.Equal(created.IPPools, []string{"*"}) || len(created.Placements) != 1 ||
		created.Usage != (domain.ProjectUsage{Project: "team-a"}) {
		t.Errorf("created %+v", created)
	}
	if !hasAudit(auditEvents(t, env, "project.create"), "admin", "project/team-a", domain.OutcomeSuccess, http.StatusCreated) {
		t.Errorf("no success event for the create: %+v", auditEvents(t, env, "project.create"))
	}

	// A taken name is 409; so is a name only the default project has.
	for _, name := range []string{"team-a", domain.DefaultProject} {
		p := readProblem(t, env.Do("POST", "/api/v1/projects", admin, `{"name": "`+name+`"}`), http.StatusConflict)
		if !strings.Contains(p.Detail, name) {
			t.Errorf("conflict on %s: %+v", name, p)
		}
	}
	if !hasAudit(auditEvents(t, env, "project.create"), "admin", "project/team-a", domain.OutcomeFailure, http.StatusConflict) {
		t.Error("no failure event for the taken name")
	}

	// Bad input is 400 naming every field, and writes nothing.
	projects := countRows(t, env, "projects", "")
	for _, c := range []struct {
		body   string
		fields []string
	}{
		{`{"name": "Bad_Name", "description": "` + strings.Repeat("x", domain.MaxDescription+1) + `",
			"members": [{"subject": " bob", "role": "root"}, {"subject": "x", "kind": "robot", "role": "viewer"}],
			"quotas": {"vcpus": -1}, "vcenters": ["*", "vc1"], "ip_pools": ["lab", "lab"],
			"placements": [{"vcenter": "vc1", "datacenter": "", "compute_cluster": "c"}]}`,
			[]string{"description", "ip_pools[1]", "members[0].role", "members[0].subject", "members[1].kind", "name",
				"placements[0].datacenter", "quotas.vcpus", "vcenters[0]"}},
		{`{"name": "team-b", "vcenters": ["vc9"], "ip_pools": ["nowhere"], "placements": [{"vcenter": "vc8", "datacenter": "*", "compute_cluster": "*"}]}`,
			[]string{"ip_pools[0]", "placements[0].vcenter", "vcenters[0]"}},
		{`{"name": "team-b", "surprise": 1}`, []string{"surprise"}},
		{`{"name": "team-b", "quotas": {"clusters": "two"}}`, []string{"quotas.clusters"}},
		{"{\"name\": \"team-b\", \"members\": [{\"subject\": \"a\\u0000b\", \"role\": \"viewer\"}]}", []string{"members[0].subject"}},
		{"{\"name\": \"team-b\", \"description\": \"\xff\"}", []string{"description"}},
	} {
		p := readProblem(t, env.Do("POST", "/api/v1/projects", admin, c.body), http.StatusBadRequest)
		if got := p.fieldNames(t); !slices.Equal(got, c.fields) {
			t.Errorf("%.80s: fields %v, want %v", c.body, got, c.fields)
		}
	}
	if n := countRows(t, env, "projects", ""); n != projects {
		t.Errorf("projects: %d rows, then %d", projects, n)
	}

	// Reads: viewers may; only admins change.
	var listed struct {
		Items      []domain.Project
		NextCursor string `json:"next_cursor"`
	}
	r = env.Do("GET", "/api/v1/projects?limit=1", viewer, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &listed)
	if len(listed.Items) != 1 || listed.Items[0].Name != domain.DefaultProject || listed.NextCursor == "" {
		t.Fatalf("first page %+v", listed)
	}
	env.Do("GET", "/api/v1/projects?cursor="+listed.NextCursor, viewer, nil).JSON(t, &listed)
	if len(listed.Items) != 1 || listed.Items[0].Name != "team-a" || len(listed.Items[0].Members) != 2 {
		t.Errorf("second page %+v", listed)
	}
	readProblem(t, env.Do("GET", "/api/v1/projects/nope", viewer, nil), http.StatusNotFound)
	for _, token := range []string{viewer, operator} {
		readProblem(t, env.Do("POST", "/api/v1/projects", token, `{"name": "team-v"}`), http.StatusForbidden)
		readProblem(t, env.Do("PATCH", "/api/v1/projects/team-a", token, `{"description": "mine"}`), http.StatusForbidden)
		readProblem(t, env.Do("DELETE", "/api/v1/projects/team-a", token, nil), http.StatusForbidden)
	}
	if !hasAudit(auditEvents(t, env, "project.create"), "watcher", "", domain.OutcomeDenied, http.StatusForbidden) ||
		!hasAudit(auditEvents(t, env, "project.update"), "ops", "project/team-a", domain.OutcomeDenied, http.StatusForbidden) ||
		!hasAudit(auditEvents(t, env, "project.delete"), "watcher", "project/team-a", domain.OutcomeDenied, http.StatusForbidden) {
		t.Error("the refused changes are not audited as denied")
	}

	// Patch: fields given change, quotas one by one; a bad patch names its fields.
	r = env.Do("PATCH", "/api/v1/projects/team-a", admin, `{"description": "Team A, renamed", "quotas": {"clusters": null, "disk_gib": 500},
		"members": [{"subject": "bob", "role": "viewer"}]}`)
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	var patched api.ProjectReply
	r.JSON(t, &patched)
	if patched.Description != "Team A, renamed" || patched.Quotas.Clusters != nil || patched.Quotas.VCPUs == nil || *patched.Quotas.VCPUs != 32 ||
		patched.Quotas.DiskGiB == nil || *patched.Quotas.DiskGiB != 500 || len(patched.Members) != 1 || patched.Members[0].Subject != "bob" ||
		!slices.Equal(patched.VCenters, []string{"vc1"}) {
		t.Errorf("patched %+v", patched)
	}
	events := auditEvents(t, env, "project.update")
	if !hasAudit(events, "admin", "project/team-a", domain.OutcomeSuccess, http.StatusOK) {
		t.Errorf("no success event for the patch: %+v", events)
	}
	for _, c := range []struct {
		body   string
		fields []string
	}{
		{`{}`, []string{"body"}},
		{`{"name": "team-z"}`, []string{"name"}},
		{`{"quotas": {"nodes": -2}, "members": [{"subject": "", "role": "viewer"}]}`, []string{"members[0].subject", "quotas.nodes"}},
		{`{"ip_pools": ["nowhere"]}`, []string{"ip_pools[0]"}},
		{"{\"placements\": [{\"vcenter\": \"*\", \"datacenter\": \"\xc3(\", \"compute_cluster\": \"*\"}]}", []string{"placements[0].datacenter"}},
	} {
		p := readProblem(t, env.Do("PATCH", "/api/v1/projects/team-a", admin, c.body), http.StatusBadRequest)
		if got := p.fieldNames(t); !slices.Equal(got, c.fields) {
			t.Errorf("patch %s: fields %v, want %v", c.body, got, c.fields)
		}
	}
	readProblem(t, env.Do("PATCH", "/api/v1/projects/nope", admin, `{"description": "x"}`), http.StatusNotFound)
	var got api.ProjectReply
	env.Do("GET", "/api/v1/projects/team-a", viewer, nil).JSON(t, &got)
	if got.Description != patched.Description || !got.UpdatedAt.Equal(patched.UpdatedAt) {
		t.Errorf("a refused patch changed the project: %+v", got)
	}

	// A cluster in the project shows in its usage and keeps it from being deleted.
	c := recordDay2Cluster(t, env, "east", domain.KubernetesVersions().Default, domain.PhaseReady, "lab")
	execSQL(t, env, `UPDATE clusters SET project_id = (SELECT id FROM projects WHERE name = 'team-a' AND deleted_at IS NULL) WHERE name = 'east'`)
	r = env.Do("GET", "/api/v1/projects/team-a", viewer, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &got)
	if want := (domain.ProjectUsage{Project: "team-a", Resources: domain.SpecResources(c.Spec)}); got.Usage != want {
		t.Errorf("usage %+v, want %+v", got.Usage, want)
	}
	p := readProblem(t, env.Do("DELETE", "/api/v1/projects/team-a", admin, nil), http.StatusConflict)
	if !strings.Contains(p.Detail, "1 cluster") {
		t.Errorf("refused delete: %+v", p)
	}
	p = readProblem(t, env.Do("DELETE", "/api/v1/projects/default", admin, nil), http.StatusConflict)
	if !strings.Contains(p.Detail, "cannot be deleted") {
		t.Errorf("delete default: %+v", p)
	}
	events = auditEvents(t, env, "project.delete")
	if !hasAudit(events, "admin", "project/team-a", domain.OutcomeFailure, http.StatusConflict) ||
		!hasAudit(events, "admin", "project/default", domain.OutcomeFailure, http.StatusConflict) {
		t.Errorf("the refused deletes are not audited: %+v", events)
	}

	// Once the cluster is gone the project can be deleted, and its name used again.
	execSQL(t, env, `UPDATE clusters SET deleted_at = now() WHERE name = 'east'`)
	if r := env.Do("DELETE", "/api/v1/projects/team-a", admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if !hasAudit(auditEvents(t, env, "project.delete"), "admin", "project/team-a", domain.OutcomeSuccess, http.StatusNoContent) {
		t.Error("no success event for the delete")
	}
	readProblem(t, env.Do("GET", "/api/v1/projects/team-a", viewer, nil), http.StatusNotFound)
	readProblem(t, env.Do("DELETE", "/api/v1/projects/team-a", admin, nil), http.StatusNotFound)
	if r := env.Do("POST", "/api/v1/projects", admin, `{"name": "team-a"}`); r.Status != http.StatusCreated {
		t.Errorf("reuse the name: %d %s", r.Status, r.Body)
	}
}
