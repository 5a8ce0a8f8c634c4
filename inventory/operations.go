package inventory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

const operationColumns = `id, kind, target_kind, coalesce(target_id::text, ''), target_name, actor, request_id, state, error,
	params, workflow_id, run_id, created_at, updated_at, finished_at`

func scanOperation(r pgx.Row) (domain.Operation, error) {
	var o domain.Operation
	var params []byte
	err := r.Scan(&o.ID, &o.Kind, &o.Target.Kind, &o.Target.ID, &o.Target.Name, &o.Actor, &o.RequestID, &o.State, &o.Error,
		&params, &o.WorkflowID, &o.RunID, &o.CreatedAt, &o.UpdatedAt, &o.FinishedAt)
	if len(params) > 0 && string(params) != "{}" {
		o.Params = json.RawMessage(params)
	}
	o.Steps = []domain.Step{}
	return o, err
}

// CreateOperation records a new Pending operation for workflow op.WorkflowID. When that
// workflow id already has a pending or running operation it returns a *domain.BusyError
// naming it, and records nothing.
func (s *Store) CreateOperation(ctx context.Context, op domain.Operation) (domain.Operation, error) {
	params := []byte("{}")
	if len(op.Params) > 0 {
		params = op.Params
	}
	var targetID any
	if op.Target.ID != "" {
		targetID = op.Target.ID
	}
	created, err := scanOperation(s.pool.QueryRow(ctx, `
		INSERT INTO operations (kind, target_kind, target_id, target_name, actor, request_id, state, workflow_id, params)
		VALUES ($1, $2, $3, $4, $5, $6, 'Pending', $7, $8) RETURNING `+operationColumns,
		op.Kind, op.Target.Kind, targetID, op.Target.Name, op.Actor, op.RequestID, op.WorkflowID, params))
	if isPgCode(err, pgUniqueViolation) {
		running, rerr := s.RunningOperation(ctx, op.WorkflowID)
		if rerr != nil {
			return created, fmt.Errorf("find running operation of %s: %w", op.WorkflowID, rerr)
		}
		return created, &domain.BusyError{Target: op.Target.Kind + " " + op.Target.Name, Operation: running.ID}
	}
	if err != nil {
		return created, fmt.Errorf("create operation %s on %s: %w", op.Kind, op.Target.Name, err)
	}
	return created, nil
}

// RunningOperation returns the pending or running operation of a workflow id.
func (s *Store) RunningOperation(ctx context.Context, workflowID string) (domain.Operation, error) {
	o, err := scanOperation(s.pool.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations
		WHERE workflow_id = $1 AND state IN ('Pending', 'Running')`, workflowID))
	if err != nil {
		return o, notFound(err, "running operation of "+workflowID)
	}
	return o, nil
}

// MarkOperationStarted records the workflow run of an operation and marks it Running.
func (s *Store) MarkOperationStarted(ctx context.Context, id, runID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE operations SET state = 'Running', run_id = $2, updated_at = now()
		WHERE id = $1 AND state IN ('Pending', 'Running')`, id, runID)
	if err != nil {
		return fmt.Errorf("mark operation %s started: %w", id, err)
	}
	return nil
}

// FinishOperation records the end state of an operation. Finishing one that already
// ended is a no-op, so the call is safe to repeat.
func (s *Store) FinishOperation(ctx context.Context, id, state, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE operations SET state = $2, error = $3, finished_at = now(), updated_at = now()
		WHERE id = $1 AND state IN ('Pending', 'Running')`, id, state, reason)
	if err != nil {
		return fmt.Errorf("finish operation %s: %w", id, err)
	}
	return nil
}

// DeleteOperation removes an operation that never started (its workflow start failed).
func (s *Store) DeleteOperation(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM operations WHERE id = $1 AND state = 'Pending'`, id)
	if err != nil {
		return fmt.Errorf("delete operation %s: %w", id, err)
	}
	return nil
}

// StartStep marks step name of an operation Running, creating it after the existing
// steps when it is new. A step that runs again (a retried operation) keeps its attempts.
func (s *Store) StartStep(ctx context.Context, opID, name string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO operation_steps (operation_id, seq, name, state, started_at)
		VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM operation_steps WHERE operation_id = $1), $2, 'Running', now())
		ON CONFLICT (operation_id, name) DO UPDATE SET state = 'Running', error = '', finished_at = NULL`, opID, name)
	if err != nil {
		return fmt.Errorf("start step %s of operation %s: %w", name, opID, err)
	}
	return s.touchOperation(ctx, opID)
}

// RecordAttempt records that an activity of a step runs its attempt-th attempt: a step's
// attempts are the most any of its activities needed (1 when nothing was retried).
func (s *Store) RecordAttempt(ctx context.Context, opID, name string, attempt int) error {
	_, err := s.pool.Exec(ctx, `UPDATE operation_steps SET attempts = greatest(attempts, $3)
		WHERE operation_id = $1 AND name = $2`, opID, name, attempt)
	if err != nil {
		return fmt.Errorf("record attempt of step %s: %w", name, err)
	}
	return s.touchOperation(ctx, opID)
}

// RecordAttemptError notes the error of a failed attempt while the step goes on retrying.
func (s *Store) RecordAttemptError(ctx context.Context, opID, name, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE operation_steps SET error = $3 WHERE operation_id = $1 AND name = $2`, opID, name, reason)
	if err != nil {
		return fmt.Errorf("record error of step %s: %w", name, err)
	}
	return s.touchOperation(ctx, opID)
}

// FinishStep records the end state of a step, creating it when it never started
// (a Skipped step).
func (s *Store) FinishStep(ctx context.Context, opID, name, state, reason string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO operation_steps (operation_id, seq, name, state, started_at, finished_at, error)
		VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM operation_steps WHERE operation_id = $1), $2, $3, now(), now(), $4)
		ON CONFLICT (operation_id, name) DO UPDATE SET state = $3, error = $4, finished_at = now()`, opID, name, state, reason)
	if err != nil {
		return fmt.Errorf("finish step %s of operation %s: %w", name, opID, err)
	}
	return s.touchOperation(ctx, opID)
}

func (s *Store) touchOperation(ctx context.Context, opID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE operations SET updated_at = now() WHERE id = $1`, opID)
	if err != nil {
		return fmt.Errorf("touch operation %s: %w", opID, err)
	}
	return nil
}

// GetOperation returns an operation with its steps in order.
func (s *Store) GetOperation(ctx context.Context, id string) (domain.Operation, error) {
	o, err := scanOperation(s.pool.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations WHERE id = $1`, id))
	if err != nil {
		if isPgCode(err, "22P02") { // not a uuid: cannot exist
			return o, fmt.Errorf("operation %s: %w", id, domain.ErrNotFound)
		}
		return o, notFound(err, "operation "+id)
	}
	rows, err := s.pool.Query(ctx, `SELECT name, state, attempts, started_at, finished_at, error
		FROM operation_steps WHERE operation_id = $1 ORDER BY seq`, id)
	if err != nil {
		return o, fmt.Errorf("steps of operation %s: %w", id, err)
	}
	o.Steps, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Step, error) {
		var st domain.Step
		err := r.Scan(&st.Name, &st.State, &st.Attempts, &st.StartedAt, &st.FinishedAt, &st.Error)
		return st, err
	})
	return o, err
}

// OperationFilter narrows ListOperations; empty fields match everything.
type OperationFilter struct {
	Cluster string // target name of cluster operations
	Kind    string
	State   string
	Actor   string
	Target  string // target name of any kind
}

// ListOperations returns operations newest first, a page at a time, without steps.
func (s *Store) ListOperations(ctx context.Context, f OperationFilter, page Page) ([]domain.Operation, string, error) {
	after, hasAfter, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := page.limit()
	var q query
	if f.Cluster != "" {
		q.and("target_kind = 'cluster' AND target_name = ?", f.Cluster)
	}
	q.andEqual("kind", f.Kind)
	q.andEqual("state", f.State)
	q.andEqual("actor", f.Actor)
	q.andEqual("target_name", f.Target)
	if hasAfter {
		q.and("(created_at, id) < (?, ?::uuid)", after.Time, nilUUID(after.ID))
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+operationColumns+` FROM operations`, "created_at DESC, id DESC", limit+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list operations: %w", err)
	}
	ops, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Operation, error) { return scanOperation(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list operations: %w", err)
	}
	next := ""
	if len(ops) > limit {
		ops = ops[:limit]
		last := ops[limit-1]
		next = encodeCursor(keyset{Time: last.CreatedAt, ID: last.ID})
	}
	return ops, next, nil
}

// nilUUID keeps a cursor without an id from failing the uuid cast.
func nilUUID(id string) string {
	if id == "" {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}
