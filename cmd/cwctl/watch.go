package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// Following an event stream: how often it may drop in a row with no event between.
const maxReconnects = 5

// The pause before reconnecting, and how long a silent connection is trusted (the server
// sends a keep-alive comment every 15 s). Variables, so that tests can shorten them.
var (
	reconnectPause = time.Second
	streamIdle     = 45 * time.Second
)

// watch follows GET /operations/{id}/events, printing one line per step change and a
// line when the operation starts waiting for a decision, until the operation ends. A
// dropped connection is resumed after the last event seen (Last-Event-ID), so no line is
// missed or printed twice. It returns nil when the operation Succeeded and an
// *operationEndedError when it Failed or was Canceled. A decision the caller has just
// answered (ops retry --wait) is not announced again.
func watch(ctx context.Context, s *session, id string, answered *domain.Decision) error {
	w := &watcher{s: s, id: id, printed: map[int]stepMark{}}
	if answered != nil {
		w.announced = decisionKey(answered)
	}
	failures := 0
	for {
		ended, progressed, err := w.follow(ctx)
		if ended {
			return w.finish(ctx)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var problem *client.Problem
		var broken *protocolError
		if errors.As(err, &problem) && problem.ClientError() || errors.As(err, &broken) {
			return err // unknown operation, bad token, a stream cwctl cannot read: retrying won't help
		}
		if progressed {
			failures = 0
		}
		if failures++; failures > maxReconnects {
			return fmt.Errorf("watch operation %s: event stream lost %d times in a row: %w", id, failures, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(reconnectPause):
		}
	}
}

// watcher rebuilds the operation from its events and prints what changed.
type watcher struct {
	s         *session
	id        string
	lastID    string           // id of the last event applied: where a reconnection resumes
	op        domain.Operation // the operation as the events so far describe it
	printed   map[int]stepMark // by step index: what the last line printed for that step said
	announced string           // decisionKey of the last decision announced
}

// stepMark is what a step line shows; a step event that changes none of it prints nothing.
type stepMark struct {
	state    string
	attempts int
	runs     int
	err      string
}

// protocolError is an event cwctl cannot apply: reconnecting would bring it again.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

// follow reads one connection of the event stream, from after the last event applied.
// ended is true after the stream's "end" event; progressed is true when an event arrived.
func (w *watcher) follow(ctx context.Context) (ended, progressed bool, err error) {
	stream, err := w.s.api.Events(ctx, client.Path("operations", w.id, "events"), w.lastID, streamIdle)
	if err != nil {
		return false, false, err
	}
	defer stream.Close()
	for {
		ev, err := stream.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the server closed the event stream before the operation ended")
			}
			return false, progressed, err
		}
		progressed = true
		switch ev.Name {
		case "operation":
			err = w.applyOperation([]byte(ev.Data))
		case "step":
			err = w.applyStep([]byte(ev.Data))
		case "end":
			return true, progressed, nil
		default:
			continue // a kind this cwctl does not know: nothing it shows
		}
		if err != nil {
			return false, progressed, &protocolError{fmt.Sprintf("operation %s: %s event %s: %v", w.id, ev.Name, ev.ID, err)}
		}
		if ev.ID != "" {
			w.lastID = ev.ID
		}
	}
}

// applyOperation applies an "operation" event: every field but the steps is replaced.
// A server from before resumable events sends the steps too; they are applied as well.
func (w *watcher) applyOperation(data []byte) error {
	var op domain.Operation
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &op); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	if _, withSteps := keys["steps"]; withSteps {
		for i, st := range op.Steps {
			w.stepChanged(i, st, op.UpdatedAt)
		}
	} else {
		op.Steps = w.op.Steps
	}
	w.op = op
	w.announceDecision()
	return nil
}

// indexedStep is the data of a "step" event: one whole step and its 0-based position in
// the operation's steps. Index is a pointer so that a missing index is told from 0.
type indexedStep struct {
	domain.Step
	Index *int `json:"index"`
}

// applyStep applies a "step" event: the step replaces the one at its index, or is
// appended when its index is the next one.
func (w *watcher) applyStep(data []byte) error {
	var ev indexedStep
	if err := json.Unmarshal(data, &ev); err != nil {
		return err
	}
	steps := w.op.Steps
	switch {
	case ev.Index == nil:
		return fmt.Errorf("step %q has no index", ev.Name)
	case *ev.Index < 0 || *ev.Index > len(steps):
		return fmt.Errorf("step %q has index %d; %d steps known", ev.Name, *ev.Index, len(steps))
	case *ev.Index == len(steps):
		w.op.Steps = append(steps, ev.Step)
	default:
		steps[*ev.Index] = ev.Step
	}
	w.stepChanged(*ev.Index, ev.Step, w.op.UpdatedAt)
	return nil
}

// stepChanged prints a line for the step at index i unless the last line printed for it
// says the same, or the step has started but none of its attempts has (the line of the
// first attempt follows at once). With -o json|yaml it prints nothing.
func (w *watcher) stepChanged(i int, st domain.Step, fallback time.Time) {
	if st.State == domain.StepRunning && st.Attempts == 0 {
		return
	}
	mark := stepMark{state: st.State, attempts: st.Attempts, runs: len(st.Runs), err: st.Error}
	prev, seen := w.printed[i]
	if seen && prev == mark {
		return
	}
	w.printed[i] = mark
	if w.s.structured() {
		return
	}
	// A running step's error is that of an attempt that failed and is being retried:
	// shown once, not again on each next attempt's line.
	errShown := seen && st.State == domain.StepRunning && prev.err == st.Error
	fmt.Fprintln(w.s.stdout, stepLine(st, fallback, !errShown))
}

// stepLine is one step change: time, step, state, attempts, the run when a person
// retried the step, and, with withError, the error, if any.
func stepLine(st domain.Step, fallback time.Time, withError bool) string {
	line := fmt.Sprintf("%-20s  %-30s  %-9s  attempts=%d", timestamp(stepChangedAt(st, fallback)), st.Name, st.State, st.Attempts)
	if n := len(st.Runs); n > 1 {
		last := st.Runs[n-1]
		line += fmt.Sprintf("  run=%d", last.Run)
		if last.Actor != "" {
			line += " by " + last.Actor
		}
	}
	if withError && st.Error != "" {
		line += "  error: " + st.Error
	}
	return line
}

// stepChangedAt is when the step last changed: the latest time it records, its own or its
// last run's or that run's last attempt's (a retried step started long before its new
// run did); fallback when it records none.
func stepChangedAt(st domain.Step, fallback time.Time) time.Time {
	times := []*time.Time{st.StartedAt, st.FinishedAt}
	if n := len(st.Runs); n > 0 {
		run := st.Runs[n-1]
		times = append(times, &run.StartedAt, run.FinishedAt)
		if m := len(run.Attempts); m > 0 {
			times = append(times, &run.Attempts[m-1].StartedAt, run.Attempts[m-1].FinishedAt)
		}
	}
	var at time.Time
	for _, t := range times {
		if t != nil && t.After(at) {
			at = *t
		}
	}
	if at.IsZero() {
		return fallback
	}
	return at
}

// announceDecision prints, once per decision, that the operation waits: which step, why,
// until when, and the commands that decide. It goes to standard error with -o json|yaml,
// which keeps standard output for the ended operation.
func (w *watcher) announceDecision() {
	op := w.op
	if op.State != domain.OpAwaitingDecision {
		return
	}
	key := decisionKey(op.Decision)
	if key == w.announced {
		return
	}
	w.announced = key
	out := w.s.stdout
	if w.s.structured() {
		out = w.s.stderr
	}
	fmt.Fprintln(out, decisionLine(op))
}

// decisionKey tells decisions apart: a step that fails again after a retry waits anew.
func decisionKey(d *domain.Decision) string {
	if d == nil {
		return "?"
	}
	return d.Step + "@" + d.Since.UTC().Format(time.RFC3339Nano)
}

// decisionLine says which step of op waits, why, until when, and how to decide.
func decisionLine(op domain.Operation) string {
	d := op.Decision
	if d == nil {
		return fmt.Sprintf("%-20s  operation %s is awaiting a decision: see cwctl ops get %s", timestamp(op.UpdatedAt), op.ID, op.ID)
	}
	return fmt.Sprintf("%-20s  %-30s  %s  step failed: %s; decide by %s (then it compensates by itself): cwctl ops retry %s --wait, or cwctl ops cancel %s",
		timestamp(d.Since), d.Step, domain.OpAwaitingDecision, d.Reason, timestamp(d.Deadline), op.ID, op.ID)
}

// finish prints how the operation ended (with -o json|yaml: the operation as the API
// has it now) and turns anything but success into an error.
func (w *watcher) finish(ctx context.Context) error {
	op := w.op
	if w.s.structured() {
		raw, err := getJSON(ctx, w.s, client.Path("operations", w.id), nil, &op)
		if err != nil {
			return err
		}
		if err := w.s.printReply(raw); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w.s.stdout, "operation %s %s\n", w.id, op.State)
	}
	if op.State != domain.OpSucceeded {
		if op.ID == "" {
			op.ID = w.id
		}
		return &operationEndedError{op: op}
	}
	return nil
}
