package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/secrets"
)

// TestKeyGenerateRotateStatus runs the key commands the way an operator does: make a
// new key file, rotate a database whose secrets are under the current key, check the
// status under the new configuration, and rerun the rotation.
func TestKeyGenerateRotateStatus(t *testing.T) {
	t.Setenv(secrets.EnvKey, "")
	t.Setenv("CLUSTERWRIGHT_OLD_SECRET_KEY_FILES", "")
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	for _, f := range []string{oldFile, newFile} {
		out, err := run(t, "key", "generate", f)
		if err != nil || !strings.Contains(out, "key id") {
			t.Fatalf("key generate %s: %v %s", f, err, out)
		}
		if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("key file %s: %v, mode %v", f, err, info.Mode())
		}
	}
	before, _ := os.ReadFile(newFile)
	if _, err := run(t, "key", "generate", newFile); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Fatalf("generate over an existing file: %v", err)
	}
	if after, _ := os.ReadFile(newFile); string(after) != string(before) {
		t.Fatal("key generate overwrote a key file")
	}
	oldKey, _ := secrets.LoadKey("", oldFile)
	newKey, _ := secrets.LoadKey("", newFile)
	if strings.Contains(string(before), secrets.KeyID(newKey)) {
		t.Fatal("the key id is not distinct from the file content")
	}

	// A database with a vCenter and a cluster secret, sealed under the old key.
	dbURL := inventorytest.NewDatabase(t)
	ring, _ := secrets.NewKeyring(oldKey)
	store, err := inventory.Open(context.Background(), dbURL, ring)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if _, err := store.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "CANARY-pw"}); err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCluster(ctx, domain.ClusterSpec{Name: "east", VCenter: "vc1"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pki/ca.key", "admin.conf"} {
		if err := store.PutClusterSecret(ctx, c.ID, name, []byte("CANARY "+name)); err != nil {
			t.Fatal(err)
		}
	}

	out, err := run(t, "key", "status", "--database-url", dbURL, "--secret-key-file", oldFile)
	if err != nil || !strings.Contains(out, "rows under an old key: 0") || !strings.Contains(out, secrets.KeyID(oldKey)) {
		t.Fatalf("status before: %v\n%s", err, out)
	}
	if _, err := run(t, "key", "rotate", "--database-url", dbURL, "--secret-key-file", oldFile); err == nil || !strings.Contains(err.Error(), "--new-key-file") {
		t.Fatalf("rotate without a new key: %v", err)
	}

	out, err = run(t, "key", "rotate", "--database-url", dbURL, "--secret-key-file", oldFile, "--new-key-file", newFile)
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	for _, want := range []string{"vcenters.password_sealed:", "1 re-sealed, 0 skipped", "cluster_secrets.sealed:", "2 re-sealed, 0 skipped",
		"--secret-key-file=" + newFile + " --old-secret-key-files=" + oldFile} {
		if !strings.Contains(out, want) {
			t.Errorf("rotate output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "CANARY") || strings.Contains(out, strings.TrimSpace(string(before))) {
		t.Fatalf("rotate printed a secret:\n%s", out)
	}

	// The new configuration: nothing is left under the old key; the old key is reported as old.
	t.Setenv("CLUSTERWRIGHT_OLD_SECRET_KEY_FILES", oldFile)
	out, err = run(t, "key", "status", "--database-url", dbURL, "--secret-key-file", newFile)
	if err != nil || !strings.Contains(out, "rows under an old key: 0") || !strings.Contains(out, "old keys ["+secrets.KeyID(oldKey)+"]") ||
		strings.Contains(out, secrets.KeyID(oldKey)+"  ") {
		t.Fatalf("status after: %v\n%s", err, out)
	}
	// The old configuration sees every row under a key it does not hold.
	t.Setenv("CLUSTERWRIGHT_OLD_SECRET_KEY_FILES", "")
	out, err = run(t, "key", "status", "--database-url", dbURL, "--secret-key-file", oldFile)
	if err != nil || !strings.Contains(out, "rows under a key this configuration does not hold: 3") {
		t.Fatalf("status with the old key alone: %v\n%s", err, out)
	}

	// A rerun with the new configuration re-seals nothing.
	out, err = run(t, "key", "rotate", "--database-url", dbURL, "--secret-key-file", newFile, "--old-secret-key-files", oldFile, "--new-key-file", newFile)
	if err != nil || !strings.Contains(out, "1 skipped") || !strings.Contains(out, "0 re-sealed, 2 skipped") {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if _, err := run(t, "key", "spin"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("unknown key action: %v", err)
	}
}
