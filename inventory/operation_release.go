package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// ActiveOperations returns every operation that has not ended (Pending, Running,
// AwaitingDecision), oldest first, without steps: what the reconcile compares with
// Temporal.
func (s *Store) ActiveOperations(ctx context.Context) ([]domain.Operation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+operationColumns+` FROM operations WHERE state IN `+activeStates+`
		ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list active operations: %w", err)
	}
	ops, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Operation, error) { return scanOperation(r) })
	if err != nil {
		return nil, fmt.Errorf("list active operations: %w", err)
	}
	return ops, nil
}

// Release is how an operation whose workflow will not record its end is ended instead.
type Release struct {
	// State is Failed, or Succeeded for a workflow that completed normally.
	State string
	// Reason is recorded as the operation's error and on each step it leaves unfinished.
	Reason string
	// RunID, when set, must be the operation's recorded run: a release decided on one
	// run never ends an operation whose record names another.
	RunID string
}

// ReleaseOperation ends an active operation as rel says and, in the same transaction,
// frees its target: the active operation's row was what made the target busy, and a
// cluster or ClusterSet held in a busy phase moves to the phase
// domain.InterruptedClusterPhase (or InterruptedClusterSetPhase) gives, with the reason.
// Steps, runs and attempts left open end Failed with the reason. It reports whether it
// ended the operation: false when the operation had ended already (its workflow
// recorded the end after all), so a release is safe to repeat and never overwrites an
// end the workflow recorded.
func (s *Store) ReleaseOperation(ctx context.Context, id string, rel Release) (bool, error) {
	if rel.State != domain.OpFailed && rel.State != domain.OpSucceeded {
		return false, fmt.Errorf("release operation %s: state %q is neither Failed nor Succeeded", id, rel.State)
	}
	reason := domain.ReleaseReason(rel.Reason)
	released := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		seq, err := lockOperation(ctx, tx, id)
		if err != nil {
			return err
		}
		op, err := scanOperation(tx.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if !domain.OperationActive(op.State) || (rel.RunID != "" && op.RunID != "" && op.RunID != rel.RunID) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE operations SET state = $2, error = $3, finished_at = now(),
			decision_step = '', decision_reason = '', decision_since = NULL, decision_deadline = NULL WHERE id = $1`,
			id, rel.State, reason); err != nil {
			return err
		}
		if err := appendEvents(ctx, tx, id, seq, operationEvent()); err != nil {
			return err
		}
		if err := closeOpenSteps(ctx, tx, id, reason); err != nil {
			return err
		}
		released = true
		return freeTarget(ctx, tx, op, rel.State == domain.OpSucceeded, reason)
	})
	if err != nil {
		return false, fmt.Errorf("release operation %s: %w", id, err)
	}
	return released, nil
}

// closeOpenSteps ends the steps, runs and attempts of an operation still open, Failed
// with reason, and records an event per step it ended. The caller holds the row lock.
func closeOpenSteps(ctx context.Context, tx pgx.Tx, opID, reason string) error {
	rows, err := tx.Query(ctx, `UPDATE operation_steps SET state = 'Failed', error = $2, finished_at = now()
		WHERE operation_id = $1 AND finished_at IS NULL RETURNING name`, opID, reason)
	if err != nil {
		return fmt.Errorf("close open steps: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("close open steps: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE operation_step_runs SET state = 'Failed', error = $2, finished_at = now()
		WHERE operation_id = $1 AND finished_at IS NULL`, opID, reason); err != nil {
		return fmt.Errorf("close open step runs: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE operation_step_attempts SET active = 0, failed = true, finished_at = now(),
		error = CASE WHEN error = '' THEN $2 ELSE error END
		WHERE operation_id = $1 AND finished_at IS NULL`, opID, reason); err != nil {
		return fmt.Errorf("close open step attempts: %w", err)
	}
	for _, name := range names {
		seq, err := lockOperation(ctx, tx, opID)
		if err != nil {
			return err
		}
		if err := appendEvents(ctx, tx, opID, seq, stepEvent(name)); err != nil {
			return err
		}
	}
	return nil
}

// freeTarget moves the cluster or ClusterSet of a released operation out of the busy
// phase it holds it in. A target whose record is gone has nothing to free.
func freeTarget(ctx context.Context, tx pgx.Tx, op domain.Operation, succeeded bool, reason string) error {
	if op.Target.ID == "" {
		return nil
	}
	var table string
	var next func(kind, phase string, succeeded bool) (string, bool)
	switch op.Target.Kind {
	case "cluster":
		table, next = "clusters", domain.InterruptedClusterPhase
	case "clusterset":
		table, next = "clustersets", domain.InterruptedClusterSetPhase
	default:
		return nil
	}
	var phase string
	err := tx.QueryRow(ctx, `SELECT phase FROM `+table+` WHERE id = $1 FOR UPDATE`, op.Target.ID).Scan(&phase)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the phase of %s %s: %w", op.Target.Kind, op.Target.Name, err)
	}
	to, change := next(op.Kind, phase, succeeded)
	if !change {
		return nil
	}
	why := op.Kind + " ended without its workflow: " + reason
	q := `UPDATE ` + table + ` SET phase = $2, phase_reason = $3, updated_at = now() WHERE id = $1`
	if table == "clusters" && to == domain.PhaseDeleted {
		q = `UPDATE clusters SET phase = $2, phase_reason = $3, updated_at = now(), deleted_at = coalesce(deleted_at, now()) WHERE id = $1`
	}
	if succeeded {
		why = ""
	}
	if _, err := tx.Exec(ctx, q, op.Target.ID, to, why); err != nil {
		return fmt.Errorf("free %s %s: %w", op.Target.Kind, op.Target.Name, err)
	}
	return nil
}

// TryExclusive runs fn unless another process runs the work named key (a Postgres
// advisory lock, held by a transaction for as long as fn runs), and reports whether it
// ran it. fn's own writes do not go through that transaction.
func (s *Store) TryExclusive(ctx context.Context, key int64, fn func(ctx context.Context) error) (bool, error) {
	ran := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, key).Scan(&locked); err != nil {
			return fmt.Errorf("advisory lock %d: %w", key, err)
		}
		if !locked {
			return nil
		}
		ran = true
		return fn(ctx)
	})
	return ran, err
}
