package temporalrt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives/timestamp"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// devRetention is how long the dev server keeps closed workflows.
const devRetention = 7 * 24 * time.Hour

// sqliteConfig returns the persistence settings for the database file at path.
// WAL with synchronous=NORMAL survives a crash of the process (not of the
// machine) and keeps the single connection fast.
func sqliteConfig(path string) (*config.SQL, error) {
	if strings.ContainsAny(path, "?#%") {
		return nil, fmt.Errorf("database file %q: path must not contain '?', '#' or '%%'", path)
	}
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
	}, nil
}

// persistenceConfig stores both executions and visibility in the SQLite
// database, with one history shard (the shard count can never change later).
func persistenceConfig(sqlCfg *config.SQL) config.Persistence {
	return config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: 1,
		DataStores: map[string]config.DataStore{
			sqliteplugin.PluginName: {SQL: sqlCfg},
		},
	}
}

// ensureSchema creates Temporal's tables in an empty database and leaves a
// database that already has them alone.
func ensureSchema(cfg *config.SQL) error {
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("open database %s: %w", cfg.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()

	tables, err := db.ListTables(cfg.DatabaseName)
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", cfg.DatabaseName, err)
	}
	if len(tables) == 0 {
		if err := sqliteschema.SetupSchemaOnDB(db); err != nil {
			return fmt.Errorf("create schema in %s: %w", cfg.DatabaseName, err)
		}
		return nil
	}
	for _, want := range []string{"namespaces", "executions", "executions_visibility"} {
		if !slices.Contains(tables, want) {
			return fmt.Errorf("database %s is not an intact Temporal database (no table %q); remove it to start afresh", cfg.DatabaseName, want)
		}
	}
	return nil
}

// registerNamespace creates namespace in the database unless it exists.
func registerNamespace(cfg *config.SQL, clusterName, namespace string) error {
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, nil)
	if err != nil {
		return fmt.Errorf("namespace %q: %w", namespace, err)
	}
	ns.Detail.Config.Retention = timestamp.DurationPtr(devRetention)
	if err := sqliteschema.CreateNamespaces(cfg, ns); err != nil {
		return fmt.Errorf("register namespace %q: %w", namespace, err)
	}
	return nil
}
