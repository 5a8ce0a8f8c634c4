package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// A step of an operation is recorded at three depths: the step (its latest state), each
// run of it (the first, and one per retry by a person), and each automatic attempt
// within a run. The step runner of the workflows writes steps and runs; the worker's
// step tracker writes attempts. Every change is also an event of the operation.

// StartStep starts run number run of step name, started by actor (the operation's actor
// when empty): the step is Running (created after the existing steps when new) and the
// run is recorded. Repeating the call changes nothing.
func (s *Store) StartStep(ctx context.Context, opID, name string, run int, actor string) error {
	run = max(run, 1)
	return s.changeStep(ctx, opID, name, "start step", func(tx pgx.Tx) (bool, error) {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM operation_step_runs WHERE operation_id = $1 AND step = $2 AND run = $3`,
			opID, name, run).Scan(&state)
		if err == nil {
			return false, nil // this run was recorded already
		}
		if err != pgx.ErrNoRows {
			return false, err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO operation_steps (operation_id, seq, name, state, started_at)
			VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM operation_steps WHERE operation_id = $1), $2, 'Running', now())
			ON CONFLICT (operation_id, name) DO UPDATE SET state = 'Running', error = '', finished_at = NULL`, opID, name); err != nil {
			return false, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO operation_step_runs (operation_id, step, run, state, actor)
			VALUES ($1, $2, $3, 'Running', coalesce(nullif($4, ''), (SELECT actor FROM operations WHERE id = $1)))`,
			opID, name, run, actor)
		return true, err
	})
}

// FinishStep records how run number run of a step ended, creating the step when it never
// started (a Skipped step). Attempts of the run still open are closed: their activity
// never reported back (its worker was lost or it timed out).
func (s *Store) FinishStep(ctx context.Context, opID, name string, run int, state, reason string) error {
	run = max(run, 1)
	return s.changeStep(ctx, opID, name, "finish step", func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `
			INSERT INTO operation_steps (operation_id, seq, name, state, started_at, finished_at, error)
			VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM operation_steps WHERE operation_id = $1), $2, $3, now(), now(), $4)
			ON CONFLICT (operation_id, name) DO UPDATE SET state = $3, error = $4, finished_at = now()
			WHERE (operation_steps.state, operation_steps.error) IS DISTINCT FROM ($3, $4) OR operation_steps.finished_at IS NULL`,
			opID, name, state, reason)
		if err != nil || tag.RowsAffected() == 0 {
			return false, err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO operation_step_runs (operation_id, step, run, state, finished_at, error) VALUES ($1, $2, $3, $4, now(), $5)
			ON CONFLICT (operation_id, step, run) DO UPDATE SET state = $4, error = $5, finished_at = now()`,
			opID, name, run, state, reason); err != nil {
			return false, err
		}
		_, err = tx.Exec(ctx, `UPDATE operation_step_attempts SET active = 0, finished_at = now(),
			failed = failed OR $4, error = CASE WHEN error = '' AND $4 THEN $5 ELSE error END
			WHERE operation_id = $1 AND step = $2 AND run = $3 AND finished_at IS NULL`,
			opID, name, run, state != domain.StepSucceeded, lostAttempt)
		return true, err
	})
}

// lostAttempt is the error of an attempt whose activity never reported back.
const lostAttempt = "no result: the worker was lost or the attempt timed out"

// RecordAttemptStart records that an activity of run run of a step starts its
// attempt-th attempt. Attempts are counted per step: the step's attempt n runs from the
// first of its activities' n-th attempts to the last. Earlier attempts still open never
// got their result and are closed as lost.
func (s *Store) RecordAttemptStart(ctx context.Context, opID, name string, run, attempt int) error {
	run = max(run, 1)
	return s.changeStep(ctx, opID, name, "record attempt", func(tx pgx.Tx) (bool, error) {
		var inserted bool
		err := tx.QueryRow(ctx, `
			INSERT INTO operation_step_attempts (operation_id, step, run, attempt, active) VALUES ($1, $2, $3, $4, 1)
			ON CONFLICT (operation_id, step, run, attempt) DO UPDATE SET active = operation_step_attempts.active + 1, finished_at = NULL
			RETURNING xmax = 0`, opID, name, run, attempt).Scan(&inserted)
		if err != nil {
			return false, err
		}
		if inserted {
			if _, err := tx.Exec(ctx, `UPDATE operation_steps SET attempts = attempts + 1 WHERE operation_id = $1 AND name = $2`, opID, name); err != nil {
				return false, err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE operation_step_attempts SET active = 0, finished_at = now(), failed = true,
			error = CASE WHEN error = '' THEN $5 ELSE error END
			WHERE operation_id = $1 AND step = $2 AND run = $3 AND attempt < $4 AND finished_at IS NULL`,
			opID, name, run, attempt, lostAttempt)
		return true, err
	})
}

// RecordAttemptEnd records that an activity's attempt ended, with its error when it
// failed. The attempt ends when the last of its activities does.
func (s *Store) RecordAttemptEnd(ctx context.Context, opID, name string, run, attempt int, failed bool, reason string) error {
	run = max(run, 1)
	return s.changeStep(ctx, opID, name, "record attempt end", func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `UPDATE operation_step_attempts SET active = greatest(active - 1, 0),
			finished_at = CASE WHEN active <= 1 THEN now() ELSE finished_at END,
			failed = failed OR $5, error = CASE WHEN $5 THEN $6 ELSE error END
			WHERE operation_id = $1 AND step = $2 AND run = $3 AND attempt = $4`, opID, name, run, attempt, failed, reason)
		if err != nil {
			return false, err
		}
		if failed {
			if _, err := tx.Exec(ctx, `UPDATE operation_steps SET error = $3 WHERE operation_id = $1 AND name = $2`, opID, name, reason); err != nil {
				return false, err
			}
		}
		return tag.RowsAffected() > 0, nil
	})
}

// changeStep runs fn in a transaction that holds the operation's row lock and, when fn
// reports a change, records the step's new state as an event.
func (s *Store) changeStep(ctx context.Context, opID, name, what string, fn func(pgx.Tx) (bool, error)) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		seq, err := lockOperation(ctx, tx, opID)
		if err != nil {
			return err
		}
		changed, err := fn(tx)
		if err != nil || !changed {
			return err
		}
		return appendEvents(ctx, tx, opID, seq, stepEvent(name))
	})
	if err != nil {
		return fmt.Errorf("%s %s of operation %s: %w", what, name, opID, err)
	}
	return nil
}

// loadSteps reads the steps of an operation in order (only the one named when name is
// set), each with its position, runs and their attempts: three queries whatever the
// count.
func loadSteps(ctx context.Context, q querier, opID, name string) ([]IndexedStep, error) {
	rows, err := q.Query(ctx, `SELECT seq - 1, name, state, attempts, started_at, finished_at, error
		FROM operation_steps WHERE operation_id = $1 AND ($2 = '' OR name = $2) ORDER BY seq`, opID, name)
	if err != nil {
		return nil, fmt.Errorf("steps of operation %s: %w", opID, err)
	}
	steps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IndexedStep, error) {
		st := IndexedStep{Step: domain.Step{Runs: []domain.StepRun{}}}
		err := r.Scan(&st.Index, &st.Name, &st.State, &st.Attempts, &st.StartedAt, &st.FinishedAt, &st.Error)
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("steps of operation %s: %w", opID, err)
	}
	byName := make(map[string]*IndexedStep, len(steps))
	for i := range steps {
		byName[steps[i].Name] = &steps[i]
	}
	rows, err = q.Query(ctx, `SELECT step, run, state, actor, started_at, finished_at, error
		FROM operation_step_runs WHERE operation_id = $1 AND ($2 = '' OR step = $2) ORDER BY step, run`, opID, name)
	if err != nil {
		return nil, fmt.Errorf("step runs of operation %s: %w", opID, err)
	}
	var step string
	var run domain.StepRun
	if _, err := pgx.ForEachRow(rows, []any{&step, &run.Run, &run.State, &run.Actor, &run.StartedAt, &run.FinishedAt, &run.Error}, func() error {
		if st := byName[step]; st != nil {
			r := run
			r.FinishedAt, r.Attempts = copyTime(run.FinishedAt), []domain.StepAttempt{}
			st.Runs = append(st.Runs, r)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("step runs of operation %s: %w", opID, err)
	}
	rows, err = q.Query(ctx, `SELECT step, run, attempt, active, failed, started_at, finished_at, error
		FROM operation_step_attempts WHERE operation_id = $1 AND ($2 = '' OR step = $2) ORDER BY step, run, attempt`, opID, name)
	if err != nil {
		return nil, fmt.Errorf("step attempts of operation %s: %w", opID, err)
	}
	var runNo, active int
	var failed bool
	var a domain.StepAttempt
	var finished *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&step, &runNo, &a.Attempt, &active, &failed, &a.StartedAt, &finished, &a.Error}, func() error {
		st := byName[step]
		if st == nil || runNo < 1 || runNo > len(st.Runs) || st.Runs[runNo-1].Run != runNo {
			return nil
		}
		at := a
		at.FinishedAt, at.State = copyTime(finished), attemptState(active, failed, finished)
		st.Runs[runNo-1].Attempts = append(st.Runs[runNo-1].Attempts, at)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("step attempts of operation %s: %w", opID, err)
	}
	return steps, nil
}

// attemptState is an attempt's state as the timeline shows it.
func attemptState(active int, failed bool, finished *time.Time) string {
	switch {
	case finished == nil && active > 0:
		return domain.StepRunning
	case failed:
		return domain.StepFailed
	default:
		return domain.StepSucceeded
	}
}

// copyTime returns a pointer to a copy of *t: scan targets are reused from row to row.
func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
