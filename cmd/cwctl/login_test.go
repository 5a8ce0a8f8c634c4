package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app/apptest"
)

// lockedBuffer is a bytes.Buffer that a running cwctl writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogin runs `cwctl login --no-browser` against a server with single sign-on through
// the in-process OIDC provider, and signs in where a browser would (an HTTP client that
// submits the provider's login form): cwctl gets the one-time code on its loopback,
// exchanges it for alice's personal token and keeps it in a 0600 config file, with
// which later commands work. The token never passes through a URL.
func TestLogin(t *testing.T) {
	env := apptest.StartSSO(t)
	cfgPath := filepath.Join(t.TempDir(), "conf", "cwctl.json")
	t.Setenv(envConfig, cfgPath)
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, "")

	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() { done <- runMain(ctx, []string{"login", "--no-browser"}, &stdout, &stderr) }()

	urlRE := regexp.MustCompile(`(?m)^  (http://\S+/auth/login\?\S+)$`)
	var signIn string
	for deadline := time.Now().Add(30 * time.Second); signIn == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			signIn = m[1]
		}
	}
	if signIn == "" {
		t.Fatalf("cwctl login printed no sign-in URL:\n%s", stderr.String())
	}
	browser := apptest.Browser(t)
	resp := env.SignIn(t, browser, strings.TrimPrefix(signIn, env.URL), "alice")
	loopback := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loopback, "http://127.0.0.1:") || strings.Contains(loopback, "cw_") {
		t.Fatalf("callback: %d to %q, want a redirect to cwctl's loopback with a code", resp.StatusCode, loopback)
	}
	// Someone else's state is refused by the loopback.
	if r, err := http.Get(regexp.MustCompile(`state=[^&]+`).ReplaceAllString(loopback, "state=forged")); err != nil || r.StatusCode != http.StatusBadRequest {
		t.Errorf("loopback with a forged state: %v %v", r, err)
	}
	r, err := http.Get(loopback)
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("loopback: %v %v", r, err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("cwctl login: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("cwctl login did not end")
	}
	if !regexp.MustCompile(`^signed in as alice@example.com \(operator\) until \S+; token login-alice-[0-9a-f]{8} kept in `).MatchString(stdout.String()) {
		t.Errorf("login output: %q", stdout.String())
	}

	fi, err := os.Stat(cfgPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, fi)
	}
	if di, err := os.Stat(filepath.Dir(cfgPath)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("config directory: %v %v; want 0700", di, err)
	}
	var cf configFile
	b, _ := os.ReadFile(cfgPath)
	if err := json.Unmarshal(b, &cf); err != nil || cf.URL != env.URL || !strings.HasPrefix(cf.Token, "cw_") || cf.Subject != "u-alice" ||
		cf.ExpiresAt == nil || time.Until(*cf.ExpiresAt) < 11*time.Hour {
		t.Fatalf("config file: %v %+v", err, cf)
	}
	if strings.Contains(env.Logs.String(), cf.Token) {
		t.Error("the server's log holds the token")
	}

	// The token is alice's own, holds the role her group gave her in team-a (and nothing
	// in team-b), and works: without --token or $CLUSTERWRIGHT_TOKEN cwctl uses the
	// config file.
	tok, err := env.App.Store.GetToken(ctx, cf.TokenName)
	if err != nil || tok.Owner != "u-alice" || tok.OwnerEmail != "alice@example.com" || tok.ExpiresAt == nil {
		t.Errorf("stored token: %+v %v", tok, err)
	}
	out := ok(t, "projects", "list")
	if !strings.Contains(out.stdout, "team-a") || strings.Contains(out.stdout, "team-b") {
		t.Errorf("projects list with the kept token:\n%s", out.stdout)
	}
	// ... and only towards its own server.
	t.Setenv(envURL, "http://127.0.0.1:1")
	if r := cwctl(t, "clusters", "list"); r.code != 2 || !strings.Contains(r.stderr, "missing an API token") {
		t.Errorf("another URL with the config file's token: exit %d %s", r.code, r.stderr)
	}

	// A code is good once.
	var code string
	if m := regexp.MustCompile(`code=([^&]+)`).FindStringSubmatch(loopback); m != nil {
		code = m[1]
	}
	rr := env.Do("POST", "/auth/token", "", map[string]string{"code": code, "code_verifier": strings.Repeat("x", 43)})
	if rr.Status != http.StatusUnauthorized {
		t.Errorf("a used code: %d %s, want 401", rr.Status, rr.Body)
	}
}
