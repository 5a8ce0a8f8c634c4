package inventory_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
)

// TestDatabaseURLVerifyFull: sslmode=verify-full with sslrootcert in DATABASE_URL is
// kept as it is: TLS required (no plain-text fallback), the server's name verified
// against that CA; and the store refuses a server that does not prove it.
func TestDatabaseURLVerifyFull(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	ca, err := pki.NewCA("postgres CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}

	cfg, err := pgxpool.ParseConfig("postgres://cw:pw@db.example:5432/clusterwright?sslmode=verify-full&sslrootcert=" + url.QueryEscape(caFile))
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.ConnConfig.TLSConfig
	if tc == nil || tc.InsecureSkipVerify || tc.ServerName != "db.example" || tc.RootCAs == nil {
		t.Fatalf("verify-full parsed into TLS %+v, want verification of db.example against the CA file", tc)
	}
	for _, fb := range cfg.ConnConfig.Fallbacks {
		if fb.TLSConfig == nil {
			t.Fatal("verify-full has a plain-text fallback")
		}
	}

	// The test server does not present a certificate from this CA: the store refuses it.
	base, err := url.Parse(inventorytest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	q := base.Query()
	q.Set("sslmode", "verify-full")
	q.Set("sslrootcert", caFile)
	base.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s, err := inventory.Open(ctx, base.String(), nil); err == nil {
		s.Close()
		t.Fatal("verify-full connected to a server whose certificate the CA did not issue")
	} else {
		t.Logf("refused as it must be: %v", err)
	}
}
