package devenv_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// checkOtherProjectBlind checks, in a running dev environment holding cluster (of the
// default project), that a member of another project does not see it: a project token of
// team-b lists no such cluster, and reading it, its kubeconfig, scaling and deleting it
// answer 404 exactly as for a name that nobody uses.
func checkOtherProjectBlind(t *testing.T, dev *devProcess, cluster string) {
	t.Helper()
	if status, b := dev.raw(t, "POST", "/api/v1/projects", `{"name": "team-b", "vcenters": ["*"], "ip_pools": ["*"]}`); status != http.StatusCreated && status != http.StatusConflict {
		t.Fatalf("create project team-b: %d %s", status, b)
	}
	status, b := dev.raw(t, "POST", "/api/v1/tokens", `{"name": "team-b-dev-check", "role": "admin", "project": "team-b"}`)
	if status != http.StatusCreated {
		t.Fatalf("team-b token: %d %s", status, b)
	}
	var created struct{ Token string }
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	as := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, dev.env["CLUSTERWRIGHT_URL"]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+created.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		reply, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(reply)
	}
	if status, list := as("GET", "/api/v1/clusters", ""); status != http.StatusOK || strings.Contains(list, `"`+cluster+`"`) {
		t.Errorf("team-b's cluster list: %d %s", status, list)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/clusters/%s", ""},
		{"GET", "/api/v1/clusters/%s/kubeconfig", ""},
		{"POST", "/api/v1/clusters/%s/scale", `{"pool": "default", "replicas": 3}`},
		{"DELETE", "/api/v1/clusters/%s", ""},
	} {
		status, reply := as(c.method, strings.Replace(c.path, "%s", cluster, 1), c.body)
		missingStatus, missing := as(c.method, strings.Replace(c.path, "%s", "zz-none", 1), c.body)
		detail := func(s, name string) string {
			var p struct{ Detail string }
			_ = json.Unmarshal([]byte(s), &p)
			return strings.ReplaceAll(p.Detail, name, "X")
		}
		if status != http.StatusNotFound || missingStatus != http.StatusNotFound || detail(reply, cluster) != detail(missing, "zz-none") {
			t.Errorf("team-b %s %s: %d %s; for a missing cluster: %d %s", c.method, c.path, status, reply, missingStatus, missing)
		}
	}
}
