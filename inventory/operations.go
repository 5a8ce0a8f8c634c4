package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

const operationColumns = `id, kind, target_kind, coalesce(target_id::text, ''), target_name, actor, request_id, state, error,
	params, workflow_id, run_id, on_failure, decision_timeout, decision_step, decision_reason, decision_since, decision_deadline,
	created_at, updated_at, finished_at, coalesce((SELECT pr.name FROM projects pr WHERE pr.id = project_id), '')`

// activeStates is the SQL list of the states of an operation that has not ended.
const activeStates = `('Pending', 'Running', 'AwaitingDecision')`

func scanOperation(r pgx.Row) (domain.Operation, error) {
	var o domain.Operation
	var params []byte
	var step, reason string
	var since, deadline *time.Time
	err := r.Scan(&o.ID, &o.Kind, &o.Target.Kind, &o.Target.ID, &o.Target.Name, &o.Actor, &o.RequestID, &o.State, &o.Error,
		&params, &o.WorkflowID, &o.RunID, &o.OnFailure, &o.DecisionTimeout, &step, &reason, &since, &deadline,
		&o.CreatedAt, &o.UpdatedAt, &o.FinishedAt, &o.Project)
	if len(params) > 0 && string(params) != "{}" {
		o.Params = json.RawMessage(params)
	}
	if o.State == domain.OpAwaitingDecision && since != nil && deadline != nil {
		o.Decision = &domain.Decision{Step: step, Reason: reason, Since: *since, Deadline: *deadline}
	}
	o.Steps = []domain.Step{}
	return o, err
}

// CreateOperation records a new Pending operation for workflow op.WorkflowID with its
// failure policy. When that workflow id already has an active operation it returns a
// *domain.BusyError naming it, and records nothing. An operation that reserves part of
// its project's quotas (op.Reserve) is recorded with its reservation only when the
// project has room for it, checked under the project's row lock (see quotas.go); else
// it returns a *domain.QuotaError and records nothing.
func (s *Store) CreateOperation(ctx context.Context, op domain.Operation) (domain.Operation, error) {
	params := []byte("{}")
	if len(op.Params) > 0 {
		params = op.Params
	}
	var targetID any
	if op.Target.ID != "" {
		targetID = op.Target.ID
	}
	if op.OnFailure == "" {
		op.OnFailure = domain.OnFailureWait
	}
	var reserved any
	if op.Reserve != nil && !op.Reserve.IsZero() {
		reserved = *op.Reserve
	}
	var created domain.Operation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if reserved != nil {
			p, err := lockTargetProject(ctx, tx, op.Target)
			if err != nil {
				return err
			}
			if err := checkQuotas(ctx, tx, p, *op.Reserve); err != nil {
				return err
			}
		}
		var err error
		created, err = scanOperation(tx.QueryRow(ctx, `
			INSERT INTO operations (kind, target_kind, target_id, target_name, actor, request_id, state, workflow_id, params,
				on_failure, decision_timeout, reserved)
			VALUES ($1, $2, $3, $4, $5, $6, 'Pending', $7, $8, $9, $10, $11) RETURNING `+operationColumns,
			op.Kind, op.Target.Kind, targetID, op.Target.Name, op.Actor, op.RequestID, op.WorkflowID, params,
			op.OnFailure, op.DecisionTimeout, reserved))
		if err != nil {
			return err
		}
		return appendEvents(ctx, tx, created.ID, 0, operationEvent())
	})
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

// RunningOperation returns the active operation of a workflow id.
func (s *Store) RunningOperation(ctx context.Context, workflowID string) (domain.Operation, error) {
	o, err := scanOperation(s.pool.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations
		WHERE workflow_id = $1 AND state IN `+activeStates, workflowID))
	if err != nil {
		return o, notFound(err, "running operation of "+workflowID)
	}
	return o, nil
}

// MarkOperationStarted records the workflow run of an operation and marks it Running.
func (s *Store) MarkOperationStarted(ctx context.Context, id, runID string) error {
	return s.changeOperation(ctx, id, "mark operation started", `UPDATE operations SET state = 'Running', run_id = $2
		WHERE id = $1 AND state IN ('Pending', 'Running') AND (state, run_id) <> ('Running', $2)`, id, runID)
}

// AwaitDecision records that an operation's step failed and that it waits for a person
// until deadline.
func (s *Store) AwaitDecision(ctx context.Context, id, step, reason string, deadline time.Time) error {
	return s.changeOperation(ctx, id, "await decision", `UPDATE operations SET state = 'AwaitingDecision',
		decision_step = $2, decision_reason = $3, decision_since = now(), decision_deadline = $4
		WHERE id = $1 AND state IN ('Pending', 'Running')`, id, step, reason, deadline)
}

// ResumeOperation records that a waiting operation goes on: a person decided.
func (s *Store) ResumeOperation(ctx context.Context, id string) error {
	return s.changeOperation(ctx, id, "resume operation", `UPDATE operations SET state = 'Running',
		decision_step = '', decision_reason = '', decision_since = NULL, decision_deadline = NULL
		WHERE id = $1 AND state = 'AwaitingDecision'`, id)
}

// FinishOperation records the end state of an operation. Finishing one that already
// ended is a no-op, so the call is safe to repeat.
func (s *Store) FinishOperation(ctx context.Context, id, state, reason string) error {
	return s.changeOperation(ctx, id, "finish operation", `UPDATE operations SET state = $2, error = $3, finished_at = now(),
		decision_step = '', decision_reason = '', decision_since = NULL, decision_deadline = NULL
		WHERE id = $1 AND state IN `+activeStates, id, state, reason)
}

// changeOperation runs one UPDATE of an operation's row and, when it changed the row,
// records the operation's new state as an event.
func (s *Store) changeOperation(ctx context.Context, id, what, sql string, args ...any) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		seq, err := lockOperation(ctx, tx, id)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return appendEvents(ctx, tx, id, seq, operationEvent())
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
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

// GetOperation returns an operation with its steps in order, each with its runs and
// attempts.
func (s *Store) GetOperation(ctx context.Context, id string) (domain.Operation, error) {
	o, err := scanOperation(s.pool.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations WHERE id = $1`, id))
	if err != nil {
		if isPgCode(err, "22P02") { // not a uuid: cannot exist
			return o, fmt.Errorf("operation %s: %w", id, domain.ErrNotFound)
		}
		return o, notFound(err, "operation "+id)
	}
	steps, err := loadSteps(ctx, s.pool, id, "")
	for _, st := range steps {
		o.Steps = append(o.Steps, st.Step)
	}
	return o, err
}

// OperationFilter narrows ListOperations; empty fields match everything.
type OperationFilter struct {
	Cluster string // target name of cluster operations
	Kind    string
	State   string
	Actor   string
	Target  string    // target name of any kind
	Since   time.Time // created at or after
	Until   time.Time // created before
	// Projects, unless nil, keeps only the operations of these projects (by name);
	// the platform's own operations (of no project) are then left out.
	Projects []string
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
	if f.Projects != nil {
		q.and("project_id IN (SELECT id FROM projects WHERE name = ANY(?))", f.Projects)
	}
	if !f.Since.IsZero() {
		q.and("created_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q.and("created_at < ?", f.Until)
	}
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
