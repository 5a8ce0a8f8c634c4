package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestProjectScope runs cwctl with the tokens of two projects against the real API: a
// member of team-b does not see team-a's cluster (lists leave it out; get, kubeconfig,
// scale and delete say it does not exist, exit 1 as for any missing name), and --project
// narrows a platform admin's lists to one project.
func TestProjectScope(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	s := env.App.Store
	if _, err := s.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, env.AdminToken)
	for _, team := range []string{"team-a", "team-b"} {
		ok(t, "projects", "create", team, "--vcenter", "*", "--ip-pool", "*")
		name := strings.TrimPrefix(team, "team-") + "-one"
		env.PutCluster(t, team, validSpec(name))
	}
	r := env.Do("POST", "/api/v1/tokens", env.AdminToken, `{"name": "b-ops", "role": "operator", "project": "team-b"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	var created struct{ Token string }
	if err := json.Unmarshal(r.Body, &created); err != nil {
		t.Fatal(err)
	}

	// A platform admin: every cluster, or one project's with --project (or its variable).
	if out := ok(t, "clusters", "list").stdout; !strings.Contains(out, "a-one") || !strings.Contains(out, "b-one") {
		t.Errorf("the admin's clusters list:\n%s", out)
	}
	if out := ok(t, "--project", "team-a", "clusters", "list").stdout; !strings.Contains(out, "a-one") || strings.Contains(out, "b-one") {
		t.Errorf("clusters list --project team-a:\n%s", out)
	}
	t.Setenv(envProject, "team-b")
	if out := ok(t, "clusters", "list").stdout; strings.Contains(out, "a-one") || !strings.Contains(out, "b-one") {
		t.Errorf("clusters list with $%s=team-b:\n%s", envProject, out)
	}
	t.Setenv(envProject, "")

	// team-b's operator: team-a's cluster does not exist for it.
	t.Setenv(envToken, created.Token)
	if out := ok(t, "clusters", "list").stdout; strings.Contains(out, "a-one") || !strings.Contains(out, "b-one") {
		t.Errorf("team-b's clusters list:\n%s", out)
	}
	for _, args := range [][]string{
		{"clusters", "get", "a-one"},
		{"clusters", "kubeconfig", "a-one"},
		{"clusters", "scale", "a-one", "--pool", "default", "--replicas", "3"},
		{"clusters", "delete", "a-one"},
	} {
		res := cwctl(t, args...)
		missing := cwctl(t, append(append([]string{}, args[:2]...), append([]string{"zz-none"}, args[3:]...)...)...)
		if res.code != missing.code || res.code == 0 || !strings.Contains(res.stderr, "not found") ||
			strings.ReplaceAll(res.stderr, "a-one", "X") != strings.ReplaceAll(missing.stderr, "zz-none", "X") {
			t.Errorf("cwctl %s: exit %d %q; for a missing cluster: exit %d %q", strings.Join(args, " "), res.code, res.stderr, missing.code, missing.stderr)
		}
	}
}
