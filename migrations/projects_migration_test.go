package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/migrations"
)

// defaultProjectID is the fixed id migration 012 gives the default project.
const defaultProjectID = "00000000-0000-0000-0000-000000000001"

// TestProjectsMigrationMovesDataIntoDefault applies migration 012 to a database holding
// data of the earlier migrations: every cluster and ClusterSet, live or deleted, ends up
// in the default project, which allows everything; rows inserted without a project go
// there too; and migrating down keeps the data.
func TestProjectsMigrationMovesDataIntoDefault(t *testing.T) {
	ctx := context.Background()
	dbURL := inventorytest.NewEmptyDatabase(t)
	if err := migrations.To(ctx, dbURL, 11); err != nil {
		t.Fatalf("migrate to 11: %v", err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO vcenters (id, name, server, username, password_sealed)
		VALUES ('10000000-0000-0000-0000-000000000001', 'vc1', 'https://vc1/sdk', 'svc', '\x00')`)
	exec(`INSERT INTO clusters (id, name, vcenter_id, spec, phase) VALUES
		('20000000-0000-0000-0000-000000000001', 'east', '10000000-0000-0000-0000-000000000001', '{"name": "east"}', 'Ready'),
		('20000000-0000-0000-0000-000000000002', 'west', '10000000-0000-0000-0000-000000000001', '{"name": "west"}', 'Ready')`)
	exec(`INSERT INTO clusters (name, spec, phase, deleted_at) VALUES ('gone', '{}', 'Deleted', now())`)
	exec(`INSERT INTO clustersets (name, leader_cluster_id, spec, phase) VALUES
		('set1', '20000000-0000-0000-0000-000000000001', '{}', 'Ready')`)

	if err := migrations.To(ctx, dbURL, 12); err != nil {
		t.Fatalf("migrate to 12 with data: %v", err)
	}
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM clusters WHERE project_id = '` + defaultProjectID + `'`); n != 3 {
		t.Errorf("%d of 3 clusters in the default project", n)
	}
	if n := count(`SELECT count(*) FROM clustersets WHERE project_id = '` + defaultProjectID + `'`); n != 1 {
		t.Errorf("%d of 1 ClusterSets in the default project", n)
	}
	var name string
	var vcenters, pools []string
	var places string
	err = conn.QueryRow(ctx, `SELECT name, vcenters, ip_pools, placements::text FROM projects WHERE id = $1`, defaultProjectID).
		Scan(&name, &vcenters, &pools, &places)
	if err != nil || name != "default" || len(vcenters) != 1 || vcenters[0] != "*" || len(pools) != 1 || pools[0] != "*" ||
		places != `[{"vcenter": "*", "datacenter": "*", "compute_cluster": "*"}]` {
		t.Fatalf("default project = %s %v %v %s, %v", name, vcenters, pools, places, err)
	}
	// Code that inserts without a project keeps working and fills the default project.
	exec(`INSERT INTO clusters (name, spec) VALUES ('new', '{}')`)
	if n := count(`SELECT count(*) FROM clusters WHERE name = 'new' AND project_id = '` + defaultProjectID + `'`); n != 1 {
		t.Error("a cluster inserted without a project is not in the default project")
	}
	// The default project cannot be deleted or renamed, even by hand.
	for _, sql := range []string{
		`UPDATE projects SET deleted_at = now() WHERE id = '` + defaultProjectID + `'`,
		`UPDATE projects SET name = 'other' WHERE id = '` + defaultProjectID + `'`,
		`DELETE FROM projects WHERE id = '` + defaultProjectID + `'`,
	} {
		if _, err := conn.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}
	// A live cluster cannot go into a deleted project.
	exec(`INSERT INTO projects (id, name, deleted_at) VALUES ('30000000-0000-0000-0000-000000000001', 'old', now())`)
	if _, err := conn.Exec(ctx, `UPDATE clusters SET project_id = '30000000-0000-0000-0000-000000000001' WHERE name = 'east'`); err == nil {
		t.Error("a live cluster moved into a deleted project")
	}

	if err := migrations.To(ctx, dbURL, 11); err != nil {
		t.Fatalf("migrate down to 11 with data: %v", err)
	}
	if n := count(`SELECT count(*) FROM clusters`); n != 4 {
		t.Errorf("%d clusters after migrating down, want 4", n)
	}
	if err := migrations.Up(ctx, dbURL); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
