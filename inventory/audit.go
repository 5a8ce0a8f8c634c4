package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// AppendAudit adds an event to the append-only audit log.
func (s *Store) AppendAudit(ctx context.Context, e domain.AuditEvent) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		detail = e.Detail
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO audit_events (actor, action, target, request_id, outcome, status, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.Actor, e.Action, e.Target, e.RequestID, e.Outcome, e.Status, detail)
	if err != nil {
		return fmt.Errorf("append audit event %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter narrows ListAudit; empty fields match everything.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Since  time.Time
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
	if !f.Since.IsZero() {
		q.and("at >= ?", f.Since)
	}
	if hasAfter {
		q.and("id < ?", after.Seq)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT id, at, actor, action, target, request_id, outcome, status, detail FROM audit_events`, "id DESC", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list audit events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.AuditEvent, error) {
		var e domain.AuditEvent
		var detail []byte
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.RequestID, &e.Outcome, &e.Status, &detail)
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
