package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/server/temporaltest"

	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/migrations"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runMain(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestHelpListsCommandsAndSettings(t *testing.T) {
	out, err := run(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serve", "worker", "migrate", "dev", "token create", "vcsim", "key rotate --new-key-file", "key generate", "key status", "--old-secret-key-files", "CLUSTERWRIGHT_OLD_SECRET_KEY_FILES", "--kubeconfig-max-ttl",
		"DATABASE_URL", "TEMPORAL_ADDRESS", "CLUSTERWRIGHT_SECRET_KEY", "CLUSTERWRIGHT_LISTEN", "CLUSTERWRIGHT_LOG_FORMAT", "--state-dir", "--antrea-image-registry",
		"--tls-cert-file", "CLUSTERWRIGHT_TLS_KEY_FILE", "--temporal-tls-ca-file", "--temporal-api-key-file", "--api-rate-limit", "--vcenter-allowed-hosts"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if _, err := run(t, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}

func TestMigrateAndTokenCreate(t *testing.T) {
	dbURL := inventorytest.NewEmptyDatabase(t)
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv("CLUSTERWRIGHT_SECRET_KEY", base64.StdEncoding.EncodeToString(key))

	out, err := run(t, "migrate", "--database-url", dbURL, "up")
	if err != nil || !strings.Contains(out, fmt.Sprintf("database at version %[1]d of %[1]d", migrations.Latest())) {
		t.Fatalf("migrate up: %v %s", err, out)
	}
	out, err = run(t, "token", "create", "--database-url", dbURL, "--name", "ci", "--role", "operator")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(out), "cw_") {
		t.Fatalf("token create: %v %s", err, out)
	}
	if _, err := run(t, "token", "create", "--database-url", dbURL, "--name", "Bad Name", "--role", "god"); err == nil ||
		!strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "role") {
		t.Fatalf("bad token input: %v", err)
	}
	out, err = run(t, "migrate", "--database-url", dbURL, "down", "0")
	if err != nil || !strings.Contains(out, fmt.Sprintf("version 0 of %d", migrations.Latest())) {
		t.Fatalf("migrate down: %v %s", err, out)
	}
	if _, err := run(t, "migrate", "--database-url", dbURL, "sideways"); err == nil {
		t.Fatal("unknown migrate action accepted")
	}
}

// TestServe runs `clusterwright serve` against a test database and the in-process Temporal
// server and waits for /readyz to say ready; cancelling its context stops it cleanly.
func TestServe(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	dbURL := inventorytest.NewEmptyDatabase(t)
	key := make([]byte, 32)
	rand.Read(key)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		done <- runMain(ctx, []string{"serve", "--listen", addr, "--database-url", dbURL, "--log-level", "warn",
			"--temporal-address", ts.GetFrontendHostPort(), "--temporal-namespace", ts.GetDefaultNamespace(),
			"--secret-key", base64.StdEncoding.EncodeToString(key)}, &out, &out)
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve not ready within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestDevRejectsBadSimFault(t *testing.T) {
	_, err := run(t, "dev", "--sim-fault", "vsphere.clone:zero")
	if err == nil || !strings.Contains(err.Error(), "vsphere.clone:zero") {
		t.Fatalf("bad --sim-fault: %v", err)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestDevNamesStaleEnvironment starts `clusterwright dev` in a shell that sourced the env
// file of a run long gone: DATABASE_URL and TEMPORAL_ADDRESS point at closed ports. Dev
// refuses at once, naming each setting, that it came from the environment and that it is
// unreachable, with what to do; the password in the URL is not repeated.
func TestDevNamesStaleEnvironment(t *testing.T) {
	db, temporal := closedPort(t), closedPort(t)
	t.Setenv("DATABASE_URL", "postgres://postgres:hunter2@"+db+"/clusterwright?sslmode=disable")
	t.Setenv("TEMPORAL_ADDRESS", temporal)
	start := time.Now()
	_, err := run(t, "dev", "--state-dir", t.TempDir(), "--log-level", "warn")
	if err == nil {
		t.Fatal("dev started with an unreachable DATABASE_URL")
	}
	msg := err.Error()
	for _, want := range []string{"DATABASE_URL from the environment", db, "TEMPORAL_ADDRESS from the environment", temporal,
		"unreachable", "unset DATABASE_URL", "set -a; . .clusterwright/env"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("the error repeats the database password: %s", msg)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("dev took %s to refuse", d)
	}

	// Given as a flag, the setting is named as the flag, without the advice about the shell.
	_, err = run(t, "dev", "--state-dir", t.TempDir(), "--log-level", "warn",
		"--database-url", "postgres://postgres@"+db+"/clusterwright", "--temporal-address", "embedded")
	if err == nil || !strings.Contains(err.Error(), "--database-url points at "+db+", which is unreachable") ||
		strings.Contains(err.Error(), "environment") {
		t.Fatalf("unreachable --database-url: %v", err)
	}
}
