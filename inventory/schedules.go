package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

const scheduleColumns = `id, kind, cluster, cron, every, jitter, overlap, renew_before_days, retention, paused,
	created_by, created_at, last_run`

func scanSchedule(r pgx.Row) (domain.Schedule, error) {
	var s domain.Schedule
	err := r.Scan(&s.ID, &s.Kind, &s.Cluster, &s.Cron, &s.Every, &s.Jitter, &s.Overlap, &s.RenewBeforeDays, &s.Retention,
		&s.Paused, &s.CreatedBy, &s.CreatedAt, &s.LastRun)
	s.NextRuns = []time.Time{}
	return s, err
}

// CreateSchedule records a validated schedule (defaults filled) created by actor.
func (s *Store) CreateSchedule(ctx context.Context, in domain.ScheduleInput, actor string) (domain.Schedule, error) {
	sc, err := scanSchedule(s.pool.QueryRow(ctx, `
		INSERT INTO schedules (kind, cluster, cron, every, jitter, overlap, renew_before_days, retention, paused, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+scheduleColumns,
		in.Kind, in.Cluster, in.Cron, in.Every, in.Jitter, in.Overlap, in.RenewBeforeDays, in.Retention, in.Paused, actor))
	if err != nil {
		return sc, fmt.Errorf("create schedule %s of %s: %w", in.Kind, in.Cluster, err)
	}
	return sc, nil
}

// GetSchedule returns the schedule with id; an unknown or malformed id is domain.ErrNotFound.
func (s *Store) GetSchedule(ctx context.Context, id string) (domain.Schedule, error) {
	sc, err := scanSchedule(s.pool.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = $1`, id))
	if isPgCode(err, "22P02") { // not a uuid: cannot exist
		return sc, fmt.Errorf("schedule %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return sc, notFound(err, "schedule "+id)
	}
	return sc, nil
}

// ScheduleFilter narrows ListSchedules; empty fields match everything.
type ScheduleFilter struct {
	Cluster string // a cluster's name or "*"
	Kind    string
	// Projects, unless nil, keeps only the schedules of live clusters of these projects
	// (by name); those of every cluster ("*") are then left out.
	Projects []string
}

// ListSchedules returns schedules oldest first, a page at a time.
func (s *Store) ListSchedules(ctx context.Context, f ScheduleFilter, page Page) ([]domain.Schedule, string, error) {
	after, hasAfter, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := page.limit()
	var q query
	q.andEqual("cluster", f.Cluster)
	q.andEqual("kind", f.Kind)
	if f.Projects != nil {
		q.and(`cluster IN (SELECT c.name FROM clusters c JOIN projects p ON p.id = c.project_id
			WHERE c.deleted_at IS NULL AND p.name = ANY(?))`, f.Projects)
	}
	if hasAfter {
		q.and("(created_at, id) > (?, ?::uuid)", after.Time, nilUUID(after.ID))
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+scheduleColumns+` FROM schedules`, "created_at, id", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list schedules: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Schedule, error) { return scanSchedule(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list schedules: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = encodeCursor(keyset{Time: last.CreatedAt, ID: last.ID})
	}
	return list, next, nil
}

// AllSchedules returns every schedule, for the reconcile with Temporal.
func (s *Store) AllSchedules(ctx context.Context) ([]domain.Schedule, error) {
	var all []domain.Schedule
	page := Page{Limit: MaxLimit}
	for {
		list, next, err := s.ListSchedules(ctx, ScheduleFilter{}, page)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		if next == "" {
			return all, nil
		}
		page.Cursor = next
	}
}

// SetSchedulePaused records whether the schedule is paused.
func (s *Store) SetSchedulePaused(ctx context.Context, id string, paused bool) error {
	return s.changeSchedule(ctx, id, "pause", `UPDATE schedules SET paused = $2 WHERE id = $1`, id, paused)
}

// RecordScheduleRun records run as the schedule's last run.
func (s *Store) RecordScheduleRun(ctx context.Context, id string, run domain.ScheduleRun) error {
	return s.changeSchedule(ctx, id, "record run of", `UPDATE schedules SET last_run = $2 WHERE id = $1`, id, run)
}

// DeleteSchedule removes the schedule's record.
func (s *Store) DeleteSchedule(ctx context.Context, id string) error {
	return s.changeSchedule(ctx, id, "delete", `DELETE FROM schedules WHERE id = $1`, id)
}

// ClusterSchedules returns the schedules of the cluster named name (not the "*" ones).
func (s *Store) ClusterSchedules(ctx context.Context, name string) ([]domain.Schedule, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE cluster = $1 ORDER BY created_at, id`, name)
	if err != nil {
		return nil, fmt.Errorf("schedules of cluster %s: %w", name, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Schedule, error) { return scanSchedule(r) })
	if err != nil {
		return nil, fmt.Errorf("schedules of cluster %s: %w", name, err)
	}
	return list, nil
}

// changeSchedule runs one statement on the schedule with id; no row is domain.ErrNotFound.
func (s *Store) changeSchedule(ctx context.Context, id, what, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if isPgCode(err, "22P02") {
		return fmt.Errorf("%s schedule %s: %w", what, id, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s schedule %s: %w", what, id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s schedule %s: %w", what, id, domain.ErrNotFound)
	}
	return nil
}
