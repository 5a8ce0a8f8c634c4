package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/migrations"
)

func tables(t *testing.T, dbURL string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name <> 'schema_version' ORDER BY 1`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestUpDownUp migrates an empty database to the latest version, all the way down, and up
// again: every down part must undo its up part exactly.
func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	dbURL := inventorytest.NewEmptyDatabase(t)

	if err := migrations.Up(ctx, dbURL); err != nil {
		t.Fatalf("up: %v", err)
	}
	v, err := migrations.Current(ctx, dbURL)
	if err != nil || v != migrations.Latest() {
		t.Fatalf("version after up = %d, %v; want %d", v, err, migrations.Latest())
	}
	want := []string{"api_tokens", "audit_events", "clusters", "inventory_objects", "ip_leases", "ip_pools", "nodes", "operation_steps", "operations", "vcenters", "cluster_secrets", "cluster_addons",
		"operation_step_runs", "operation_step_attempts", "operation_events", "clustersets", "clusterset_members", "node_host_keys", "backups", "cluster_certificates", "schedules",
		"projects", "project_members", "sessions", "login_codes"}
	got := tables(t, dbURL)
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("table %s missing after up; have %v", w, got)
		}
	}

	if err := migrations.To(ctx, dbURL, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := tables(t, dbURL); len(got) != 0 {
		t.Fatalf("tables left after migrating down to 0: %v", got)
	}

	if err := migrations.Up(ctx, dbURL); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if got := tables(t, dbURL); len(got) != len(want) {
		t.Fatalf("tables after second up = %v, want %v", got, want)
	}
	// Up on a current database changes nothing and does not fail.
	if err := migrations.Up(ctx, dbURL); err != nil {
		t.Fatalf("idempotent up: %v", err)
	}
}
