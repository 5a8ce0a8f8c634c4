// Package migrations holds Clusterwright's numbered SQL migrations, embedded in the binary,
// and applies them with tern. Each file has an up part and, after the
// "---- create above / drop below ----" line, its down part.
package migrations

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed *.sql
var files embed.FS

// versionTable records which migrations have been applied.
const versionTable = "schema_version"

// Latest is the version that Up migrates to: the number of the last migration file.
func Latest() int32 {
	names, err := migrate.FindMigrations(files)
	if err != nil {
		panic(fmt.Sprintf("embedded migrations unreadable: %v", err))
	}
	return int32(len(names))
}

// Up applies every migration not applied yet. It is safe to run concurrently from several
// processes: tern holds an advisory lock while it migrates.
func Up(ctx context.Context, databaseURL string) error {
	return To(ctx, databaseURL, Latest())
}

// To migrates the database up or down to version (0 removes everything).
func To(ctx context.Context, databaseURL string, version int32) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("connect for migration: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("migrator: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if err := m.MigrateTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to version %d: %w", version, err)
	}
	return nil
}

// Current returns the version the database is at.
func Current(ctx context.Context, databaseURL string) (int32, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return 0, fmt.Errorf("migrator: %w", err)
	}
	return m.GetCurrentVersion(ctx)
}
