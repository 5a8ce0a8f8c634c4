package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// AppendAudit adds a complete event to the append-only audit log. Text the database
// cannot hold (NUL bytes, invalid UTF-8) is stored escaped (see domain.EscapeText).
func (s *Store) AppendAudit(ctx context.Context, e domain.AuditEvent) error {
	_, err := s.insertAudit(ctx, e)
	return err
}

// BeginAudit records a call before it runs: its event, outcome pending, whose id
// CompleteAudit fills in once the call has ended. A call whose intent cannot be recorded
// must not run.
func (s *Store) BeginAudit(ctx context.Context, e domain.AuditEvent) (int64, error) {
	e.Outcome, e.Status = domain.OutcomePending, 0
	return s.insertAudit(ctx, e)
}

// CompleteAudit records the outcome, HTTP status, target, project and detail of the pending event
// id; an event is completed once (the audit log refuses any other change).
func (s *Store) CompleteAudit(ctx context.Context, id int64, outcome string, status int, target, project string, detail json.RawMessage) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE audit_events SET outcome = $2, status = $3, target = $4, detail = $5, project = $6
		WHERE id = $1 AND outcome = 'pending'`, id, outcome, status, domain.EscapeText(target), storableDetail(detail), domain.EscapeText(project))
	if err != nil {
		return fmt.Errorf("complete audit event %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("complete audit event %d: no pending event with this id: %w", id, domain.ErrNotFound)
	}
	return nil
}

func (s *Store) insertAudit(ctx context.Context, e domain.AuditEvent) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO audit_events (actor, action, target, request_id, outcome, status, detail, subject, email, project)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		domain.EscapeText(e.Actor), domain.EscapeText(e.Action), domain.EscapeText(e.Target), domain.EscapeText(e.RequestID),
		e.Outcome, e.Status, storableDetail(e.Detail), domain.EscapeText(e.Subject), domain.EscapeText(e.Email),
		domain.EscapeText(e.Project)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("append audit event %s: %w", domain.EscapeText(e.Action), err)
	}
	return id, nil
}

// AuditFilter narrows ListAudit; empty fields match everything.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Since  time.Time
	// Projects, unless nil, keeps only the events of these projects (by name).
	Projects []string
}

// ListAudit returns audit events newest first, a page at a time.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter, page Page) ([]domain.AuditEvent, string, error) {
	after, hasAfter, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := page.limit()
	var q query
	q.andEqual("actor", f.Actor)
	q.andEqual("action", f.Action)
	q.andEqual("target", f.Target)
	if f.Projects != nil {
		q.and("project = ANY(?)", f.Projects)
	}
	if !f.Since.IsZero() {
		q.and("at >= ?", f.Since)
	}
	if hasAfter {
		q.and("id < ?", after.Seq)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT id, at, actor, action, target, request_id, outcome, status, detail, subject, email, project FROM audit_events`, "id DESC", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list audit events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.AuditEvent, error) {
		var e domain.AuditEvent
		var detail []byte
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.RequestID, &e.Outcome, &e.Status, &detail, &e.Subject, &e.Email, &e.Project)
		if len(detail) > 0 && string(detail) != "{}" {
			e.Detail = json.RawMessage(detail)
		}
		return e, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list audit events: %w", err)
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		next = encodeCursor(keyset{Seq: events[limit-1].ID})
	}
	return events, next, nil
}
