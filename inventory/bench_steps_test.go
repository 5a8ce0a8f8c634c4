package inventory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// BenchmarkStepRecording measures what recording a step costs now that every change is
// also an event of the operation's durable log: one step with a failed attempt, a second
// attempt and its end, as the step runner and the step tracker write them. The baseline,
// in the same run, is the same record kept the way it was before the event log: one plain
// statement per change, no row lock, no event. Reported: the ratio of the two.
func BenchmarkStepRecording(b *testing.B) {
	ctx := context.Background()
	s := inventorytest.NewStore(b)
	op, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpSyncInventory,
		Target: domain.Target{Kind: "vcenter", Name: "bench"}, Actor: "bench", WorkflowID: "vcenter/bench"})
	if err != nil {
		b.Fatal(err)
	}
	pool := s.Pool()
	withEvents := func(step string) error {
		for _, err := range []error{
			s.StartStep(ctx, op.ID, step, 1, ""),
			s.RecordAttemptStart(ctx, op.ID, step, 1, 1),
			s.RecordAttemptEnd(ctx, op.ID, step, 1, 1, true, "refused"),
			s.RecordAttemptStart(ctx, op.ID, step, 1, 2),
			s.RecordAttemptEnd(ctx, op.ID, step, 1, 2, false, ""),
			s.FinishStep(ctx, op.ID, step, 1, domain.StepSucceeded, ""),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	}
	plain := func(step string) error {
		stmts := []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO operation_steps (operation_id, seq, name, state, started_at)
			  VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM operation_steps WHERE operation_id = $1), $2, 'Running', now())
			  ON CONFLICT (operation_id, name) DO UPDATE SET state = 'Running', error = '', finished_at = NULL`, []any{op.ID, step}},
			{`UPDATE operation_steps SET attempts = greatest(attempts, 1) WHERE operation_id = $1 AND name = $2`, []any{op.ID, step}},
			{`UPDATE operation_steps SET error = 'refused' WHERE operation_id = $1 AND name = $2`, []any{op.ID, step}},
			{`UPDATE operation_steps SET attempts = greatest(attempts, 2) WHERE operation_id = $1 AND name = $2`, []any{op.ID, step}},
			{`UPDATE operations SET updated_at = now() WHERE id = $1`, []any{op.ID}},
			{`UPDATE operation_steps SET state = 'Succeeded', error = '', finished_at = now() WHERE operation_id = $1 AND name = $2`, []any{op.ID, step}},
		}
		for _, st := range stmts {
			if _, err := pool.Exec(ctx, st.sql, st.args...); err != nil {
				return err
			}
		}
		return nil
	}
	// Both paths every iteration, alternating which goes first, so that load on the
	// machine falls on both alike.
	var plainTime, eventsTime time.Duration
	timed := func(d *time.Duration, fn func(string) error, step string) {
		start := time.Now()
		if err := fn(step); err != nil {
			b.Fatal(err)
		}
		*d += time.Since(start)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if n%2 == 0 {
			timed(&plainTime, plain, fmt.Sprint("plain-", n))
			timed(&eventsTime, withEvents, fmt.Sprint("events-", n))
		} else {
			timed(&eventsTime, withEvents, fmt.Sprint("events-", n))
			timed(&plainTime, plain, fmt.Sprint("plain-", n))
		}
	}
	b.ReportMetric(float64(plainTime.Microseconds())/float64(b.N)/1000, "plain-ms/step")
	b.ReportMetric(float64(eventsTime.Microseconds())/float64(b.N)/1000, "events-ms/step")
	b.ReportMetric(float64(eventsTime)/float64(plainTime), "ratio")
}
