package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// execSQL runs statements on the test's database as the server's own role does.
func execSQL(t *testing.T, env *apptest.Env, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := env.App.Store.Pool().Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestAuditUnwritableRefusesRequest breaks the audit log (a trigger refuses every insert,
// as a full disk or a revoked grant would) and makes mutating requests: each is refused
// with 503 and changes nothing, denied ones included; reads still answer. Once the log
// takes events again, the same request succeeds and is recorded.
func TestAuditUnwritableRefusesRequest(t *testing.T) {
	env := apptest.Start(t)
	viewer := env.Token("view", domain.RoleViewer)
	execSQL(t, env,
		`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN RAISE EXCEPTION 'the audit log refuses events (test)'; END; $$`,
		`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`)
	tokens, pools := countRows(t, env, "api_tokens", ""), countRows(t, env, "ip_pools", "")
	pool := domain.IPPoolInput{Name: "lab", CIDR: "127.71.0.0/24", RangeStart: "127.71.0.10", RangeEnd: "127.71.0.20"}
	for _, c := range []struct {
		method, path, token string
		body                any
	}{
		{"POST", "/api/v1/tokens", env.AdminToken, domain.TokenInput{Name: "t1", Role: "viewer"}},
		{"POST", "/api/v1/ippools", env.AdminToken, pool},
		{"DELETE", "/api/v1/tokens/view", env.AdminToken, nil},
		{"POST", "/api/v1/tokens", viewer, domain.TokenInput{Name: "t2", Role: "admin"}}, // would be denied
	} {
		p := readProblem(t, env.Do(c.method, c.path, c.token, c.body), http.StatusServiceUnavailable)
		if p.Type != "https://clusterwright.dev/problems/audit-unavailable" || !strings.Contains(p.Detail, "audit") {
			t.Errorf("%s %s: problem %+v", c.method, c.path, p)
		}
	}
	if n := countRows(t, env, "api_tokens", ""); n != tokens {
		t.Errorf("api_tokens: %d rows, then %d", tokens, n)
	}
	if n := countRows(t, env, "api_tokens", "revoked_at IS NOT NULL"); n != 0 {
		t.Errorf("%d tokens revoked", n)
	}
	if n := countRows(t, env, "ip_pools", ""); n != pools {
		t.Errorf("ip_pools: %d rows, then %d", pools, n)
	}
	if r := env.Do("GET", "/api/v1/whoami", viewer, nil); r.Status != http.StatusOK {
		t.Errorf("whoami of the viewer (not revoked) while the audit log is down: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(env.Logs.String(), "audit event not written; request refused") {
		t.Error("the refusal is not logged")
	}

	execSQL(t, env, `DROP TRIGGER test_refuse_audit ON audit_events`)
	if r := env.Do("POST", "/api/v1/ippools", env.AdminToken, pool); r.Status != http.StatusCreated {
		t.Fatalf("create the pool once the audit log works: %d %s", r.Status, r.Body)
	}
	if !hasAudit(auditEvents(t, env, "ippool.create"), "admin", "ippool/lab", domain.OutcomeSuccess, http.StatusCreated) {
		t.Errorf("no success event for the pool: %+v", auditEvents(t, env, "ippool.create"))
	}
}

// TestAuditCompletionFailureKeepsPendingEvent lets the audit log take events but refuse
// their completion: the call has run (its intent was recorded), its event stays pending
// with status 0, and the failed completion is logged as an error.
func TestAuditCompletionFailureKeepsPendingEvent(t *testing.T) {
	env := apptest.Start(t)
	execSQL(t, env,
		`CREATE FUNCTION test_refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN RAISE EXCEPTION 'the audit log refuses completions (test)'; END; $$`,
		`CREATE TRIGGER test_refuse_completion BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_completion()`)
	r := env.Do("POST", "/api/v1/tokens", env.AdminToken, domain.TokenInput{Name: "t1", Role: "viewer"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create a token: %d %s", r.Status, r.Body)
	}
	events := auditEvents(t, env, "token.create")
	if len(events) != 1 || events[0].Outcome != domain.OutcomePending || events[0].Status != 0 || events[0].Actor != "admin" ||
		events[0].RequestID != r.Header.Get("X-Request-Id") {
		t.Errorf("events: %+v, want one pending of request %s", events, r.Header.Get("X-Request-Id"))
	}
	if !strings.Contains(env.Logs.String(), "audit event not completed; it stays pending") {
		t.Error("the failed completion is not logged")
	}
}

// TestUnstorableTextRefused sends NUL bytes and invalid UTF-8 in path parameters, query
// parameters and JSON fields: each is a 400 naming the parameter or the field, changes
// nothing, and a mutating call keeps its audit event, with the text escaped and findable.
func TestUnstorableTextRefused(t *testing.T) {
	env := apptest.Start(t)
	for _, c := range []struct {
		method, path string
		body         string
		field        string
	}{
		{"DELETE", "/api/v1/tokens/a%00b", "", "name"},
		{"GET", "/api/v1/clusters/a%00b", "", "name"},
		{"GET", "/api/v1/ippools/%FF", "", "name"},
		{"POST", "/api/v1/clusters/x/nodes/n%C3%28/replace", "", "node"},
		{"GET", "/api/v1/clusters?cursor=%00", "", "cursor"},
		{"GET", "/api/v1/operations?actor=al%00ice&limit=5", "", "actor"},
		{"GET", "/api/v1/audit?target=%ED%A0%80", "", "target"},
		{"DELETE", "/api/v1/clusters/x?on_failure=wait%00", "", "on_failure"},
		{"POST", "/api/v1/ippools", `{"name":"a\u0000b","cidr":"10.0.0.0/24","range_start":"10.0.0.1","range_end":"10.0.0.9"}`, "name"},
		{"POST", "/api/v1/ippools", "{\"name\":\"p\",\"cidr\":\"10.0.0.0/24\",\"range_start\":\"10.0.0.1\",\"range_end\":\"10.0.0.9\",\"dns\":[\"1.1.1.1\",\"\xff\"]}", "dns[1]"},
		{"POST", "/api/v1/tokens", "{\"name\":\"t\x00\",\"role\":\"viewer\"}", "name"},
		{"POST", "/api/v1/clusters", `{"name":"c1","placement":{"datacenter":"DC0","datastore":"ds\u0000"}}`, "placement.datastore"},
		{"POST", "/api/v1/clusters", "{\"name\":\"c1\",\"worker_pools\":[{\"name\":\"ok\xc3(\",\"replicas\":1}]}", "worker_pools[0].name"},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := env.Do(c.method, c.path, env.AdminToken, body)
		p := readProblem(t, r, http.StatusBadRequest)
		want := domain.TextNUL
		if !strings.Contains(c.body+c.path, "00") && !strings.Contains(c.body, "\x00") {
			want = domain.TextInvalidUTF8
		}
		if len(p.Errors) != 1 || p.Errors[0].Field != c.field || p.Errors[0].Message != want {
			t.Errorf("%s %s: errors %+v, want %s %q", c.method, c.path, p.Errors, c.field, want)
		}
	}
	for _, table := range []string{"ip_pools", "clusters", "operations"} {
		if n := countRows(t, env, table, ""); n != 0 {
			t.Errorf("%s has %d rows", table, n)
		}
	}
	if n := countRows(t, env, "api_tokens", "name <> 'admin' OR revoked_at IS NOT NULL"); n != 0 {
		t.Errorf("%d tokens created or revoked", n)
	}
	// The refused mutating calls are in the audit log, the path's text escaped.
	events := auditEvents(t, env, "token.revoke")
	if !hasAudit(events, "admin", `token/a\x00b`, domain.OutcomeFailure, http.StatusBadRequest) {
		t.Errorf("token.revoke events: %+v", events)
	}
	var found struct{ Items []domain.AuditEvent }
	env.Do("GET", "/api/v1/audit?target="+url.QueryEscape(`token/a\x00b`), env.AdminToken, nil).JSON(t, &found)
	if len(found.Items) != 1 || found.Items[0].Action != "token.revoke" {
		t.Errorf("audit events of the escaped target: %+v", found.Items)
	}
	for action, n := range map[string]int{"ippool.create": 2, "token.create": 1, "cluster.create": 2, "cluster.node-replace": 1, "cluster.delete": 1} {
		events := auditEvents(t, env, action)
		failed := 0
		for _, e := range events {
			if e.Outcome == domain.OutcomeFailure && e.Status == http.StatusBadRequest {
				failed++
			}
		}
		if failed != n || len(events) != n {
			t.Errorf("%s: %d events, %d failed with 400, want %d: %+v", action, len(events), failed, n, events)
		}
	}
}
