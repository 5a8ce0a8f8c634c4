// Package inventorytest gives tests a fresh, migrated Postgres database of their own on the
// real server. A test that cannot reach Postgres fails; it never skips.
package inventorytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/migrations"
	"github.com/clusterwright/clusterwright/secrets"
)

// AdminURLEnv names the variable holding the server that test databases are created on.
const AdminURLEnv = "CLUSTERWRIGHT_TEST_DATABASE_URL"

// DefaultAdminURL is the Postgres of this kind of machine (trust auth, database test).
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// AdminURL returns the URL of the server that test databases are created on.
func AdminURL() string {
	if u := os.Getenv(AdminURLEnv); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewEmptyDatabase creates a database with a random name, dropped when the test ends,
// and returns its URL. It is not migrated.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("Postgres is required for this test and is not reachable at %s (set %s): %v", redact(AdminURL()), AdminURLEnv, err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "cwtest_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("parse %s: %v", AdminURLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewDatabase returns the URL of a fresh database with every migration applied.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dbURL := NewEmptyDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := migrations.Up(ctx, dbURL); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dbURL
}

// NewKeyring returns a keyring with a random key.
func NewKeyring(t testing.TB) *secrets.Keyring {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	k, err := secrets.NewKeyring(key)
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	return k
}

// NewStore returns a store on a fresh migrated database, closed when the test ends.
func NewStore(t testing.TB) *inventory.Store {
	t.Helper()
	s, _ := NewStoreURL(t)
	return s
}

// NewStoreURL is NewStore that also returns the database URL.
func NewStoreURL(t testing.TB) (*inventory.Store, string) {
	t.Helper()
	dbURL := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := inventory.Open(ctx, dbURL, NewKeyring(t))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s, dbURL
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return fmt.Sprint(u.Redacted())
}
