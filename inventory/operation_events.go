package inventory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// Kinds of operation events.
const (
	// EventOperation carries the operation's own fields, without its steps.
	EventOperation = "operation"
	// EventStep carries one step, whole, with its index in the operation's steps.
	EventStep = "step"
)

// OperationEvent is one change of an operation. Seq numbers an operation's events 1, 2,
// 3, ... without gaps, in the order they were committed, so that a reader that saw
// event n and asks for what follows misses nothing and sees nothing twice.
type OperationEvent struct {
	Seq  int             `json:"seq"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// OperationHeader is an operation without its steps: the data of an EventOperation.
type OperationHeader struct {
	domain.Operation
	Steps []domain.Step `json:"steps,omitempty"` // always empty: shadows Operation.Steps
}

// IndexedStep is a step with its position in the operation's steps: the data of an
// EventStep.
type IndexedStep struct {
	Index int `json:"index"`
	domain.Step
}

// OperationEvents returns the events of an operation after event number after, and the
// operation's state as of the last of them.
func (s *Store) OperationEvents(ctx context.Context, opID string, after int) ([]OperationEvent, string, error) {
	var state string
	var seq int
	err := s.pool.QueryRow(ctx, `SELECT state, event_seq FROM operations WHERE id = $1`, opID).Scan(&state, &seq)
	if err != nil {
		if isPgCode(err, "22P02") {
			return nil, "", fmt.Errorf("operation %s: %w", opID, domain.ErrNotFound)
		}
		return nil, "", notFound(err, "operation "+opID)
	}
	if seq == 0 { // recorded before operations had events: record what it is now
		if err := s.inTx(ctx, func(tx pgx.Tx) error {
			seq, err := lockOperation(ctx, tx, opID)
			if err != nil || seq > 0 {
				return err
			}
			return appendEvents(ctx, tx, opID, seq, operationEvent())
		}); err != nil {
			return nil, "", fmt.Errorf("events of operation %s: %w", opID, err)
		}
		return s.OperationEvents(ctx, opID, after)
	}
	if after >= seq {
		return nil, state, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, kind, data FROM operation_events
		WHERE operation_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`, opID, after, seq)
	if err != nil {
		return nil, "", fmt.Errorf("events of operation %s: %w", opID, err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OperationEvent, error) {
		var e OperationEvent
		err := r.Scan(&e.Seq, &e.Kind, &e.Data)
		return e, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("events of operation %s: %w", opID, err)
	}
	return events, state, nil
}

// eventSpec names what an event is about: the operation, or one of its steps.
type eventSpec struct{ kind, step string }

func operationEvent() eventSpec       { return eventSpec{kind: EventOperation} }
func stepEvent(name string) eventSpec { return eventSpec{kind: EventStep, step: name} }

// lockOperation takes the operation's row lock for the rest of the transaction (its
// changes, and the numbering of its events, happen one transaction at a time) and
// returns the number of its last event.
func lockOperation(ctx context.Context, tx pgx.Tx, opID string) (int, error) {
	var seq int
	if err := tx.QueryRow(ctx, `SELECT event_seq FROM operations WHERE id = $1 FOR UPDATE`, opID).Scan(&seq); err != nil {
		return 0, notFound(err, "operation "+opID)
	}
	return seq, nil
}

// appendEvents records the current state of what spec names as the operation's next
// event, after event number seq. An operation without events yet (recorded before they
// existed) first gets one for itself and one per step, which cover spec. The caller
// holds the row lock.
func appendEvents(ctx context.Context, tx pgx.Tx, opID string, seq int, spec eventSpec) error {
	specs := []eventSpec{spec}
	if seq == 0 {
		names, err := stepNames(ctx, tx, opID)
		if err != nil {
			return err
		}
		specs = []eventSpec{operationEvent()}
		for _, n := range names {
			specs = append(specs, stepEvent(n))
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE operations SET event_seq = $2, updated_at = now() WHERE id = $1`, opID, seq+len(specs)); err != nil {
		return fmt.Errorf("number events: %w", err)
	}
	for _, sp := range specs {
		data, err := eventData(ctx, tx, opID, sp)
		if err != nil {
			return err
		}
		seq++
		if _, err := tx.Exec(ctx, `INSERT INTO operation_events (operation_id, seq, kind, data) VALUES ($1, $2, $3, $4)`,
			opID, seq, sp.kind, data); err != nil {
			return fmt.Errorf("record event %d: %w", seq, err)
		}
	}
	return nil
}

// eventData is the JSON of what spec names, as it is now.
func eventData(ctx context.Context, tx pgx.Tx, opID string, spec eventSpec) ([]byte, error) {
	if spec.kind == EventOperation {
		op, err := scanOperation(tx.QueryRow(ctx, `SELECT `+operationColumns+` FROM operations WHERE id = $1`, opID))
		if err != nil {
			return nil, fmt.Errorf("operation %s: %w", opID, err)
		}
		return json.Marshal(OperationHeader{Operation: op})
	}
	steps, err := loadSteps(ctx, tx, opID, spec.step)
	if err != nil {
		return nil, err
	}
	if len(steps) != 1 {
		return nil, fmt.Errorf("step %s of operation %s: %w", spec.step, opID, domain.ErrNotFound)
	}
	return json.Marshal(steps[0])
}

// stepNames lists an operation's steps in order.
func stepNames(ctx context.Context, tx pgx.Tx, opID string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT name FROM operation_steps WHERE operation_id = $1 ORDER BY seq`, opID)
	if err != nil {
		return nil, fmt.Errorf("steps of operation %s: %w", opID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
