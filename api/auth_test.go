package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestAuthMatrix calls every authenticated route with no token, a bad token and a token of
// each role. Missing or bad tokens get 401; roles below the route's get 403; the others
// get past authorization (they then fail on the made-up names and empty bodies, which
// keeps the matrix from changing anything).
func TestAuthMatrix(t *testing.T) {
	env := apptest.Start(t)
	tokens := map[domain.Role]string{
		domain.RoleAdmin:    env.AdminToken,
		domain.RoleOperator: env.Token("op", domain.RoleOperator),
		domain.RoleViewer:   env.Token("view", domain.RoleViewer),
	}
	path := func(pattern string) string {
		p := strings.ReplaceAll(pattern, "{name}", "does-not-exist")
		return strings.ReplaceAll(p, "{id}", "00000000-0000-0000-0000-000000000000")
	}
	body := func(method string) any {
		if method == "POST" {
			return "{}"
		}
		return nil
	}
	routes := env.App.API().Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		p := path(rt.Pattern)
		if r := env.Do(rt.Method, p, "", body(rt.Method)); r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without token: %d, want 401 with WWW-Authenticate", rt.Method, p, r.Status)
		}
		if r := env.Do(rt.Method, p, "cw_not-a-real-token", body(rt.Method)); r.Status != http.StatusUnauthorized {
			t.Errorf("%s %s with a bad token: %d, want 401", rt.Method, p, r.Status)
		}
		for role, tok := range tokens {
			r := env.Do(rt.Method, p, tok, body(rt.Method))
			allowed := role.Allows(rt.Role)
			switch {
			case !allowed && r.Status != http.StatusForbidden:
				t.Errorf("%s %s as %s: %d, want 403", rt.Method, p, role, r.Status)
			case allowed && (r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized):
				t.Errorf("%s %s as %s: %d, want it allowed", rt.Method, p, role, r.Status)
			case r.Status >= 500:
				t.Errorf("%s %s as %s: %d %s", rt.Method, p, role, r.Status, r.Body)
			}
			if r.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s %s as %s: error reply is %q, want application/problem+json", rt.Method, p, role, r.Header.Get("Content-Type"))
			}
		}
	}
	// Every mutating route is audited, denials included; so are the reads of secrets, and
	// only those reads.
	auditedReads := map[string]bool{"GET /api/v1/clusters/{name}/kubeconfig": true}
	var audit struct{ Items []domain.AuditEvent }
	env.Do("GET", "/api/v1/audit?limit=500", env.AdminToken, nil).JSON(t, &audit)
	denied := map[string]bool{}
	for _, e := range audit.Items {
		if e.Outcome == domain.OutcomeDenied {
			denied[e.Action] = true
		}
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		switch {
		case rt.Action == "" && rt.Method != "GET":
			t.Errorf("%s mutates but has no audit action", key)
		case rt.Action == "" && auditedReads[key]:
			t.Errorf("%s reads a secret but has no audit action", key)
		case rt.Action != "" && rt.Method == "GET" && !auditedReads[key]:
			t.Errorf("%s is a read audited as %s; only reads of secrets are audited", key, rt.Action)
		}
		if rt.Action == "" {
			continue
		}
		if rt.Role != domain.RoleViewer && !denied[rt.Action] {
			t.Errorf("no denied audit event for %s", rt.Action)
		}
	}
}

func TestPublicEndpoints(t *testing.T) {
	env := apptest.Start(t)
	for path, want := range map[string]string{
		"/healthz":          `"ok"`,
		"/readyz":           `"ready"`,
		"/metrics":          "clusterwright_http_request_duration_seconds",
		"/api/openapi.yaml": "openapi:",
	} {
		env.Do("GET", "/healthz", "", nil) // make sure a request was observed before /metrics
		r := env.Do("GET", path, "", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), want) {
			t.Errorf("GET %s: %d, body lacks %q: %.300s", path, r.Status, want, r.Body)
		}
	}
	if r := env.Do("GET", "/api/v1/nothing-here", env.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown route: %d", r.Status)
	}
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/vcenters", nil)
	req.Header.Set("Authorization", "bearer  "+env.AdminToken) // the scheme is case-insensitive
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("lower-case bearer scheme: %v %v", resp, err)
	}
	if r := env.Do("GET", "/healthz", "", nil); r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on replies")
	}
}

// TestWhoami tells each caller its token's name and role.
func TestWhoami(t *testing.T) {
	env := apptest.Start(t)
	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleOperator, domain.RoleAdmin} {
		name := "who-" + string(role)
		var me api.Whoami
		r := env.Do("GET", "/api/v1/whoami", env.Token(name, role), nil)
		r.JSON(t, &me)
		if r.Status != http.StatusOK || me.Name != name || me.Role != role {
			t.Errorf("whoami as %s = %d %+v", role, r.Status, me)
		}
	}
	if r := env.Do("GET", "/api/v1/whoami", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("whoami without a token = %d", r.Status)
	}
}
