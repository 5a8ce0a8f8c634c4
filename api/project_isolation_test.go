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

// TestProjectIsolation puts one cluster (with an operation) in each of two projects and
// calls the API with project tokens: a member of team-b sees nothing of team-a (its
// cluster, kubeconfig, scale, delete, operation and project are 404 exactly as names
// that do not exist; lists leave them out), a viewer of team-a is refused changes (403),
// a platform admin sees both, and team-a's admin reads only team-a's audit.
func TestProjectIsolation(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	s := env.App.Store
	if _, err := s.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIPPool(ctx, domain.IPPoolInput{Name: "lab", CIDR: "127.72.0.0/24", RangeStart: "127.72.0.10", RangeEnd: "127.72.0.250"}); err != nil {
		t.Fatal(err)
	}
	admin := env.AdminToken
	clusters := map[string]domain.Cluster{}
	ops := map[string]domain.Operation{}
	for _, team := range []string{"team-a", "team-b"} {
		if r := env.Do("POST", "/api/v1/projects", admin, `{"name": "`+team+`", "vcenters": ["*"], "ip_pools": ["*"]}`); r.Status != http.StatusCreated {
			t.Fatalf("create project %s: %d %s", team, r.Status, r.Body)
		}
		name := strings.TrimPrefix(team, "team-") + "-one"
		c := env.PutCluster(t, team, validSpec(name))
		clusters[team] = c
		if _, err := s.LeaseIP(ctx, "lab", c.ID, c.Name+"-cp-0"); err != nil {
			t.Fatal(err)
		}
		op, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpProvisionCluster, Target: domain.Target{Kind: "cluster", ID: c.ID, Name: c.Name},
			Actor: "test", WorkflowID: "cluster/" + c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if op.Project != team {
			t.Errorf("operation on %s belongs to project %q, want %s", c.Name, op.Project, team)
		}
		ops[team] = op
	}
	token := func(name, role, project string) string {
		r := env.Do("POST", "/api/v1/tokens", admin, `{"name": "`+name+`", "role": "`+role+`", "project": "`+project+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("token %s: %d %s", name, r.Status, r.Body)
		}
		var created api.TokenCreated
		r.JSON(t, &created)
		if created.Project != project {
			t.Fatalf("token %s is of project %q, want %s", name, created.Project, project)
		}
		return created.Token
	}
	bOperator := token("b-ops", "operator", "team-b")
	aViewer := token("a-viewer", "viewer", "team-a")
	aAdmin := token("a-admin", "admin", "team-a")

	// team-b's operator: team-a's objects answer as missing ones do.
	a := clusters["team-a"].Name
	notFoundLike := func(path, method, body, missingPath string) {
		t.Helper()
		got := readProblem(t, env.Do(method, path, bOperator, body), http.StatusNotFound)
		want := readProblem(t, env.Do(method, missingPath, bOperator, body), http.StatusNotFound)
		if strings.ReplaceAll(got.Detail, a, "X") != strings.ReplaceAll(want.Detail, "zz-none", "X") &&
			strings.ReplaceAll(got.Detail, ops["team-a"].ID, "X") != strings.ReplaceAll(want.Detail, "00000000-0000-0000-0000-00000000dead", "X") {
			t.Errorf("%s %s: %q; a missing one: %q", method, path, got.Detail, want.Detail)
		}
	}
	notFoundLike("/api/v1/clusters/"+a, "GET", "", "/api/v1/clusters/zz-none")
	notFoundLike("/api/v1/clusters/"+a+"/kubeconfig", "GET", "", "/api/v1/clusters/zz-none/kubeconfig")
	notFoundLike("/api/v1/clusters/"+a+"/scale", "POST", `{"pool": "default", "replicas": 3}`, "/api/v1/clusters/zz-none/scale")
	notFoundLike("/api/v1/clusters/"+a, "DELETE", "", "/api/v1/clusters/zz-none")
	notFoundLike("/api/v1/operations/"+ops["team-a"].ID, "GET", "", "/api/v1/operations/00000000-0000-0000-0000-00000000dead")
	readProblem(t, env.Do("GET", "/api/v1/projects/team-a", bOperator, nil), http.StatusNotFound)

	names := func(token, path string) []string {
		t.Helper()
		var page struct {
			Items []struct {
				Name string
				ID   string
			}
		}
		r := env.Do("GET", path, token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		r.JSON(t, &page)
		var out []string
		for _, it := range page.Items {
			if it.Name == "" {
				it.Name = it.ID // operations have no name
			}
			out = append(out, it.Name)
		}
		slices.Sort(out)
		return out
	}
	if got := names(bOperator, "/api/v1/clusters"); !slices.Equal(got, []string{clusters["team-b"].Name}) {
		t.Errorf("team-b lists clusters %v", got)
	}
	if got := names(bOperator, "/api/v1/projects"); !slices.Equal(got, []string{"team-b"}) {
		t.Errorf("team-b lists projects %v", got)
	}
	if got := names(bOperator, "/api/v1/operations"); !slices.Equal(got, []string{ops["team-b"].ID}) {
		t.Errorf("team-b lists operations %v", got)
	}
	if got := names(bOperator, "/api/v1/clusters?project=team-a"); len(got) != 0 {
		t.Errorf("team-b lists team-a's clusters by ?project=: %v", got)
	}
	if got := names(admin, "/api/v1/clusters"); len(got) != 2 {
		t.Errorf("the platform admin lists clusters %v, want both", got)
	}
	if got := names(admin, "/api/v1/clusters?project=team-a"); !slices.Equal(got, []string{a}) {
		t.Errorf("the platform admin lists team-a's clusters as %v", got)
	}
	var pool domain.IPPool
	env.Do("GET", "/api/v1/ippools/lab", bOperator, nil).JSON(t, &pool)
	if len(pool.Leases) != 1 || pool.Leases[0].Owner != "b-one-cp-0" || pool.Free != pool.Size-2 {
		t.Errorf("team-b reads the pool's leases as %+v (free %d of %d), want only its own node's", pool.Leases, pool.Free, pool.Size)
	}
	env.Do("GET", "/api/v1/ippools/lab", admin, nil).JSON(t, &pool)
	if len(pool.Leases) != 2 {
		t.Errorf("the platform admin reads the pool's leases as %+v, want both", pool.Leases)
	}
	var who api.Whoami
	env.Do("GET", "/api/v1/whoami", bOperator, nil).JSON(t, &who)
	if who.Role != domain.RoleOperator || who.AllProjects || len(who.Projects) != 1 || who.Projects["team-b"] != domain.RoleOperator {
		t.Errorf("whoami of team-b's operator: %+v", who)
	}

	// team-a's viewer sees its cluster but may not change it; a project token may not
	// make platform-wide tokens.
	if r := env.Do("GET", "/api/v1/clusters/"+a, aViewer, nil); r.Status != http.StatusOK {
		t.Errorf("team-a's viewer reads its cluster: %d %s", r.Status, r.Body)
	}
	readProblem(t, env.Do("DELETE", "/api/v1/clusters/"+a, aViewer, nil), http.StatusForbidden)
	readProblem(t, env.Do("POST", "/api/v1/tokens", aAdmin, `{"name": "wide", "role": "viewer"}`), http.StatusForbidden)
	readProblem(t, env.Do("POST", "/api/v1/tokens", aAdmin, `{"name": "into-b", "role": "viewer", "project": "team-b"}`), http.StatusNotFound)
	readProblem(t, env.Do("POST", "/api/v1/vcenters", aAdmin, `{"name": "vc2", "server": "x", "username": "u", "password": "p"}`), http.StatusForbidden)

	// team-a's admin reads team-a's audit only: its viewer's refused delete, not team-b's
	// refused calls.
	var audit struct{ Items []domain.AuditEvent }
	r := env.Do("GET", "/api/v1/audit?limit=500", aAdmin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("team-a's audit: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &audit)
	sawDenied := false
	for _, e := range audit.Items {
		if e.Project != "team-a" {
			t.Errorf("team-a's admin reads an event of project %q: %+v", e.Project, e)
		}
		sawDenied = sawDenied || e.Actor == "a-viewer" && e.Action == "cluster.delete" && e.Outcome == domain.OutcomeDenied
	}
	if !sawDenied {
		t.Errorf("team-a's audit lacks its viewer's refused delete: %+v", audit.Items)
	}
	readProblem(t, env.Do("GET", "/api/v1/audit", bOperator, nil), http.StatusForbidden)
	if r := env.Do("GET", "/api/v1/audit?project=team-b&action=cluster.delete", admin, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"actor":"b-ops"`) {
		t.Errorf("the platform admin's audit of team-b lacks team-b's refused delete: %d %s", r.Status, r.Body)
	}
}
