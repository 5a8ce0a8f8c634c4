package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// call sends a request with hc's cookies, an optional CSRF token and bearer token.
func call(t *testing.T, hc *http.Client, method, url, csrf, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// session reads GET /auth/session.
func session(t *testing.T, env *apptest.SSOEnv, hc *http.Client) api.SessionInfo {
	t.Helper()
	status, body, _ := call(t, hc, "GET", env.URL+"/auth/session", "", "", nil)
	var info api.SessionInfo
	if status != http.StatusOK || json.Unmarshal(body, &info) != nil {
		t.Fatalf("GET /auth/session: %d %s", status, body)
	}
	return info
}

// TestSSOSessions signs people in through the in-process OIDC provider (real code flow
// with PKCE, real Postgres): the session cookie's attributes, the roles the groups map
// to, CSRF on mutating cookie calls (refused and audited), bearer calls unaffected,
// logout, and an expired session.
func TestSSOSessions(t *testing.T) {
	env := apptest.StartSSO(t)
	ctx := context.Background()

	// Alice of team-a signs in and lands where she started.
	alice := apptest.Browser(t)
	resp := env.SignIn(t, alice, "/auth/login?return_to=%2F%23%2Fclusters", "alice")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/#/clusters" {
		t.Fatalf("callback: %d to %q, want 302 to /#/clusters", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "cw_session" && c.Value != "" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over http", cookie)
	}
	info := session(t, env, alice)
	if !info.SSO || info.Session == nil || info.Session.Email != "alice@example.com" || info.Session.Subject != "u-alice" ||
		len(info.Session.Projects) != 1 || info.Session.Projects["team-a"] != domain.RoleOperator || info.Session.CSRFToken == "" {
		t.Fatalf("alice's session: %+v %+v", info, info.Session)
	}
	csrf := info.Session.CSRFToken
	status, body, _ := call(t, alice, "GET", env.URL+"/api/v1/whoami", "", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), "alice@example.com") {
		t.Errorf("whoami with the cookie: %d %s", status, body)
	}

	// Mutating cookie calls: a missing or forged CSRF token is 403 and audited as denied;
	// the right one passes on to authorization (alice may not create projects).
	for name, token := range map[string]string{"missing": "", "forged": strings.Repeat("A", len(csrf))} {
		status, body, _ := call(t, alice, "POST", env.URL+"/api/v1/projects", token, "", map[string]any{"name": "team-x"})
		if status != http.StatusForbidden || !strings.Contains(string(body), "problems/csrf") {
			t.Errorf("POST with a %s CSRF token: %d %s, want 403 csrf", name, status, body)
		}
	}
	events, _, err := env.App.Store.ListAudit(ctx, inventory.AuditFilter{Actor: "alice@example.com", Action: "project.create"}, inventory.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Outcome != domain.OutcomeDenied || events[0].Status != http.StatusForbidden || !strings.Contains(string(events[0].Detail), "csrf") {
		t.Errorf("audit of the refused CSRF tokens: %+v", events)
	}
	status, body, _ = call(t, alice, "POST", env.URL+"/api/v1/projects", csrf, "", map[string]any{"name": "team-x"})
	if status != http.StatusForbidden || strings.Contains(string(body), "problems/csrf") {
		t.Errorf("POST with the right CSRF token as an operator: %d %s, want 403 by role", status, body)
	}

	// Carol, a platform admin by her group, creates a project with her cookie.
	carol := apptest.Browser(t)
	if resp := env.SignIn(t, carol, "/auth/login", "carol"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/" {
		t.Fatalf("carol's callback: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ci := session(t, env, carol)
	if ci.Session == nil || ci.Session.PlatformRole != domain.RoleAdmin || ci.Session.Role != domain.RoleAdmin {
		t.Fatalf("carol's session: %+v", ci.Session)
	}
	if status, body, _ := call(t, carol, "POST", env.URL+"/api/v1/projects", ci.Session.CSRFToken, "", map[string]any{"name": "team-c"}); status != http.StatusCreated {
		t.Errorf("carol creates a project: %d %s", status, body)
	}
	// A bearer token needs no CSRF token, even next to a cookie.
	if status, body, _ := call(t, carol, "POST", env.URL+"/api/v1/projects", "", env.AdminToken, map[string]any{"name": "team-d"}); status != http.StatusCreated {
		t.Errorf("bearer call with a cookie and no CSRF token: %d %s", status, body)
	}
	// Alice's CSRF token is not carol's.
	if status, _, _ := call(t, carol, "POST", env.URL+"/api/v1/projects", csrf, "", map[string]any{"name": "team-e"}); status != http.StatusForbidden {
		t.Errorf("carol's cookie with alice's CSRF token: %d, want 403", status)
	}

	// Dave's group maps to nothing: no session.
	dave := apptest.Browser(t)
	if resp := env.SignIn(t, dave, "/auth/login", "dave"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("dave, of no mapped group: %d, want 403", resp.StatusCode)
	}
	if info := session(t, env, dave); info.Session != nil {
		t.Errorf("dave got a session: %+v", info.Session)
	}

	// Logout needs the CSRF token, ends the session and clears the cookie; the old
	// cookie then gets 401.
	if status, _, _ := call(t, alice, "POST", env.URL+"/auth/logout", "", "", nil); status != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d, want 403", status)
	}
	status, _, hdr := call(t, alice, "POST", env.URL+"/auth/logout", csrf, "", nil)
	if status != http.StatusNoContent || !strings.Contains(hdr.Get("Set-Cookie"), "cw_session=;") {
		t.Errorf("logout: %d, Set-Cookie %q", status, hdr.Get("Set-Cookie"))
	}
	old := apptest.Browser(t)
	old.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{{Name: "cw_session", Value: cookie.Value}})
	if status, body, _ := call(t, old, "GET", env.URL+"/api/v1/whoami", "", "", nil); status != http.StatusUnauthorized {
		t.Errorf("the old cookie after logout: %d %s, want 401", status, body)
	}

	// An expired session is 401.
	secret, _, err := env.App.Store.CreateSession(ctx, "u-alice", "alice@example.com", map[string]domain.Role{"team-a": domain.RoleOperator}, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	expired := apptest.Browser(t)
	expired.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{{Name: "cw_session", Value: secret}})
	if status, _, _ := call(t, expired, "GET", env.URL+"/api/v1/clusters", "", "", nil); status != http.StatusUnauthorized {
		t.Errorf("an expired session: %d, want 401", status)
	}

	// Where a sign-in may go after is limited to this origin's paths.
	for _, bad := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		if r := env.Do("GET", "/auth/login?return_to="+strings.ReplaceAll(bad, "/", "%2F"), "", nil); r.Status != http.StatusBadRequest {
			t.Errorf("return_to %q: %d, want 400", bad, r.Status)
		}
	}
	if r := env.Do("GET", "/auth/login?cli_redirect=http%3A%2F%2Fevil.example%3A80%2F&cli_state=s&cli_challenge="+apptest.Challenge("v"), "", nil); r.Status != http.StatusBadRequest {
		t.Errorf("a cli_redirect off loopback: %d, want 400", r.Status)
	}

	// No secret of the sign-ins reached the log.
	logs := env.Logs.String()
	for what, secret := range map[string]string{"session": cookie.Value, "csrf": csrf, "carol's session": ci.Session.CSRFToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s secret", what)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
