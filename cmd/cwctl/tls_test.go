package main

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/app/apptest"
)

// TestCAFile talks to the real API served over HTTPS by a certificate no system root
// trusts: without --ca-file cwctl refuses the certificate; with it (or
// $CLUSTERWRIGHT_CA_FILE) the call succeeds.
func TestCAFile(t *testing.T) {
	env := apptest.Start(t)
	srv := httptest.NewUnstartedServer(env.App.API().Handler())
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envURL, srv.URL)
	t.Setenv(envToken, env.AdminToken)
	t.Setenv(envCAFile, "")

	if r := cwctl(t, "ippools", "list"); r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("without --ca-file: exit %d, stderr %q; want a certificate error", r.code, r.stderr)
	}
	if r := ok(t, "ippools", "list", "--ca-file", caFile); strings.Contains(r.stdout+r.stderr, env.AdminToken) {
		t.Fatal("the token is in the output")
	}
	t.Setenv(envCAFile, caFile)
	ok(t, "ippools", "list")
	notPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	if r := cwctl(t, "ippools", "list", "--ca-file", notPEM); r.code != 2 || !strings.Contains(r.stderr, "ca-file") {
		t.Fatalf("a CA file without a certificate: exit %d, stderr %q; want 2 naming ca-file", r.code, r.stderr)
	}
}
