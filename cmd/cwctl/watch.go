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

// Reconnecting a dropped event stream: how often in a row, and how long to wait between.
const (
	maxReconnects  = 5
	reconnectPause = time.Second
)

// watch follows GET /operations/{id}/events and prints one line per step change until
// the operation ends. It returns nil when the operation Succeeded and an
// *operationEndedError when it Failed or was Canceled.
func watch(ctx context.Context, s *session, id string) error {
	w := &watcher{s: s, seen: map[string]domain.Step{}}
	failures := 0
	for {
		ended, progressed, err := w.follow(ctx, id)
		if ended {
			return w.finish()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var problem *client.Problem
		if errors.As(err, &problem) {
			return err // the API refused: unknown operation, bad token; retrying won't help
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

// watcher remembers what it printed so that a reconnected stream prints only changes.
type watcher struct {
	s    *session
	seen map[string]domain.Step
	last domain.Operation
	raw  json.RawMessage // the last operation as the API sent it
}

// follow reads one connection of the event stream. ended is true after the stream's
// "end" event; progressed is true when an event arrived.
func (w *watcher) follow(ctx context.Context, id string) (ended, progressed bool, err error) {
	stream, err := w.s.api.Events(ctx, client.Path("operations", id, "events"))
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
			var op domain.Operation
			if err := json.Unmarshal([]byte(ev.Data), &op); err != nil {
				return false, progressed, fmt.Errorf("operation event: %w", err)
			}
			w.update(op, json.RawMessage(ev.Data))
		case "end":
			return true, progressed, nil
		}
	}
}

// update prints the steps of op that changed since the last event.
func (w *watcher) update(op domain.Operation, raw json.RawMessage) {
	w.last, w.raw = op, raw
	if w.s.output == outputJSON {
		return
	}
	for _, st := range op.Steps {
		prev, ok := w.seen[st.Name]
		if ok && prev.State == st.State && prev.Attempts == st.Attempts && prev.Error == st.Error {
			continue
		}
		w.seen[st.Name] = st
		fmt.Fprintln(w.s.stdout, stepLine(st, op.UpdatedAt))
	}
}

// stepLine is one step change: time, step, state, attempts and the error, if any.
func stepLine(st domain.Step, fallback time.Time) string {
	at := fallback
	switch {
	case st.FinishedAt != nil:
		at = *st.FinishedAt
	case st.StartedAt != nil:
		at = *st.StartedAt
	}
	line := fmt.Sprintf("%-20s  %-30s  %-9s  attempts=%d", timestamp(at), st.Name, st.State, st.Attempts)
	if st.Error != "" {
		line += "  error: " + st.Error
	}
	return line
}

// finish prints how the operation ended and turns anything but success into an error.
func (w *watcher) finish() error {
	op := w.last
	if w.s.output == outputJSON {
		if err := printJSON(w.s.stdout, w.raw); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w.s.stdout, "operation %s %s\n", op.ID, op.State)
	}
	if op.State != domain.OpSucceeded {
		return &operationEndedError{op: op}
	}
	return nil
}
