package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// serveVariant serves env's API with cfg changed by change, on a real listener.
func serveVariant(t *testing.T, env *apptest.Env, change func(*api.Config)) *apptest.Env {
	t.Helper()
	cfg := env.App.APIConfig()
	change(&cfg)
	srv := httptest.NewServer(api.New(cfg).Handler())
	t.Cleanup(srv.Close)
	v := *env
	v.URL = srv.URL
	return &v
}

// TestEdgeLimits proves the API's edges against one running service: the per-token rate
// limit of audited routes (429 with Retry-After, audited, per token), the access log
// (info, never the token), the security headers, the vCenter allow-list (refused before
// any connection) and the event stream outliving the server's timeouts.
func TestEdgeLimits(t *testing.T) {
	env := apptest.Start(t)
	opToken := env.Token("limited-op", domain.RoleOperator)
	otherToken := env.Token("other-op", domain.RoleOperator)

	t.Run("rate limit", func(t *testing.T) {
		limit, err := api.ParseRateLimit("3/m")
		if err != nil {
			t.Fatal(err)
		}
		v := serveVariant(t, env, func(c *api.Config) { c.RateLimit = limit })
		// An invalid schedule: audited, changes nothing.
		for i := 0; i < 3; i++ {
			if r := v.Do("POST", "/api/v1/schedules", opToken, "{}"); r.Status == http.StatusTooManyRequests {
				t.Fatalf("call %d of 3 refused: %s", i+1, r.Body)
			}
		}
		r := v.Do("POST", "/api/v1/schedules", opToken, "{}")
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("4th call: %d %s, want 429", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("429 Content-Type %q", ct)
		}
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 20 {
			t.Errorf("Retry-After %q, want the seconds until the next of 3/m (1..20)", r.Header.Get("Retry-After"))
		}
		rid := r.Header.Get("X-Request-Id")
		// Reads are not limited; another token is not.
		if r := v.Do("GET", "/api/v1/schedules", opToken, nil); r.Status != http.StatusOK {
			t.Errorf("a read after the limit: %d", r.Status)
		}
		if r := v.Do("POST", "/api/v1/schedules", otherToken, "{}"); r.Status == http.StatusTooManyRequests {
			t.Errorf("another token was limited: %s", r.Body)
		}
		// The refusal is audited.
		var audit struct{ Items []domain.AuditEvent }
		env.Do("GET", "/api/v1/audit?limit=500", env.AdminToken, nil).JSON(t, &audit)
		found := false
		for _, e := range audit.Items {
			if e.RequestID == rid {
				found = true
				if e.Status != http.StatusTooManyRequests || e.Actor != "limited-op" || e.Action != "schedule.create" || e.Outcome != domain.OutcomeFailure {
					t.Errorf("audit event of the 429: %+v", e)
				}
			}
		}
		if !found {
			t.Errorf("no audit event with request id %s (the 429)", rid)
		}
	})

	t.Run("access log", func(t *testing.T) {
		const querySecret = "qs-canary-0451"
		r := env.Do("GET", "/api/v1/clusters?limit=5&secret="+querySecret, opToken, nil)
		rid := r.Header.Get("X-Request-Id")
		env.Do("GET", "/healthz", "", nil)
		logs := env.Logs.String()
		if strings.Contains(logs, opToken) || strings.Contains(logs, querySecret) {
			t.Fatal("the log holds the Authorization header's token or a query value")
		}
		var line, health map[string]any
		for _, l := range strings.Split(logs, "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) != nil || m["msg"] != "http" {
				continue
			}
			if m["request_id"] == rid {
				line = m
			}
			if m["route"] == "/healthz" {
				health = m
			}
		}
		if line == nil {
			t.Fatalf("no access line with request id %s", rid)
		}
		if line["level"] != "INFO" || line["method"] != "GET" || line["route"] != "/api/v1/clusters" ||
			line["status"] != float64(200) || line["actor"] != "limited-op" || line["duration_ms"] == nil {
			t.Errorf("access line %v", line)
		}
		if health == nil || health["level"] != "DEBUG" {
			t.Errorf("the /healthz access line %v, want DEBUG", health)
		}
	})

	t.Run("security headers", func(t *testing.T) {
		for _, path := range []string{"/api/v1/clusters", "/", "/healthz"} {
			r := env.Do("GET", path, opToken, nil)
			h := r.Header
			if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", path, h.Get("Content-Security-Policy"))
			}
			for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", path, k, got, want)
				}
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Errorf("%s: Strict-Transport-Security over plain HTTP", path)
			}
		}
		if csp := env.Do("GET", "/", "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("the portal's CSP %q does not let it load its own scripts", csp)
		}
		tls := httptest.NewTLSServer(env.App.API().Handler())
		defer tls.Close()
		resp, err := tls.Client().Get(tls.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("over TLS Strict-Transport-Security = %q", got)
		}
	})

	t.Run("vcenter allow-list", func(t *testing.T) {
		// A listener that counts connections: nothing may reach it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var accepted atomic.Int32
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				c.Close()
			}
		}()
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		allowed, err := domain.ParseHostAllowList("*.corp.example, vc1.lab.example, 10.0.0.0/8")
		if err != nil {
			t.Fatal(err)
		}
		v := serveVariant(t, env, func(c *api.Config) { c.VCenterAllowedHosts = allowed })
		for _, server := range []string{"127.0.0.1:" + port, "https://localhost:" + port + "/sdk", "[::1]:" + port, "vc2.lab.example:" + port} {
			in := env.VCenterInput("refused")
			in.Server = server
			r := v.Do("POST", "/api/v1/vcenters", env.AdminToken, in)
			var p api.Problem
			r.JSON(t, &p)
			if r.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "server" {
				t.Errorf("server %s: %d %s, want 422 naming server", server, r.Status, r.Body)
			}
		}
		if n := accepted.Load(); n != 0 {
			t.Errorf("refused registrations connected %d times", n)
		}
		if r := env.Do("GET", "/api/v1/vcenters/refused", env.AdminToken, nil); r.Status != http.StatusNotFound {
			t.Errorf("a refused vCenter was saved: %d", r.Status)
		}
		// Loopback allowed by network: "localhost" resolves into it, and registers.
		loop, _ := domain.ParseHostAllowList("127.0.0.0/8,::1/128")
		v = serveVariant(t, env, func(c *api.Config) { c.VCenterAllowedHosts = loop })
		in := env.VCenterInput("allowed")
		in.Server = "localhost:" + env.VCenter.URL().Port()
		r := v.Do("POST", "/api/v1/vcenters", env.AdminToken, in)
		if r.Status != http.StatusCreated {
			t.Fatalf("allowed vCenter: %d %s", r.Status, r.Body)
		}
		var created struct{ Operation domain.Operation }
		r.JSON(t, &created)
		env.WaitOperation(created.Operation.ID)
	})

	t.Run("event stream outlives timeouts", func(t *testing.T) {
		// An operation that stays Pending: the worker is stopped before it starts.
		env.StopWorker()
		defer env.StartWorker()
		r := env.Do("POST", "/api/v1/vcenters/allowed/sync", env.AdminToken, nil)
		if r.Status != http.StatusAccepted {
			t.Fatalf("sync: %d %s", r.Status, r.Body)
		}
		var started struct{ Operation domain.Operation }
		r.JSON(t, &started)

		cfg := env.App.APIConfig()
		cfg.EventKeepAlive = 100 * time.Millisecond
		short := app.HTTPTimeouts{ReadHeader: time.Second, Read: 300 * time.Millisecond, Write: 300 * time.Millisecond, Idle: time.Second}
		srv, err := env.App.Config.NewHTTPServer(api.New(cfg).Handler(), short, env.App.Logger)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		defer srv.Shutdown(context.Background())

		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+"/api/v1/operations/"+started.Operation.ID+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+opToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		start := time.Now()
		var last time.Duration
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			last = time.Since(start)
		}
		if last < time.Second {
			t.Fatalf("the stream's last line came after %s (%v): cut by the server's 300ms timeouts", last, sc.Err())
		}
		// The same server cuts a plain request whose reply is slower than its write timeout
		// elsewhere; here a plain request still works.
		if r, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("healthz on the short-timeout server: %v %v", r, err)
		}
	})
}
