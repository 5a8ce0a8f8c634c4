package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// How the event stream polls for new events, and how often a quiet stream gets a
// comment so that proxies do not close it.
const (
	eventPoll      = 500 * time.Millisecond
	eventKeepAlive = 15 * time.Second
)

// operationEvents streams the operation's events as Server-Sent Events, each with its
// number as id: from the first, or after the one the client names in Last-Event-ID (or
// ?last_event_id=), so that a client that reconnects gets every event it missed and
// none twice. After the event that ends the operation comes "end", and the stream
// closes. See inventory.OperationEvent for the kinds.
func (a *API) operationEvents(w http.ResponseWriter, r *http.Request) {
	after, ok := a.lastEventID(w, r)
	if !ok {
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		a.writeProblem(w, r, Problem{Status: http.StatusInternalServerError, Detail: "streaming unsupported"})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	ctx, op := r.Context(), operationOf(r)
	poll := time.NewTicker(eventPoll)
	defer poll.Stop()
	keepAlive := time.NewTicker(a.eventKeepAlive)
	defer keepAlive.Stop()
	for {
		events, state, err := a.store.OperationEvents(ctx, op.ID, after)
		if err != nil {
			if ctx.Err() == nil {
				a.logger.WarnContext(ctx, "operation events", "operation", op.ID, "error", err)
			}
			return
		}
		for _, e := range events {
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, e.Data)
			after = e.Seq
		}
		if len(events) > 0 {
			flusher.Flush()
			keepAlive.Reset(a.eventKeepAlive)
		}
		if !domain.OperationActive(state) {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			flusher.Flush()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case <-poll.C:
		}
	}
}

// lastEventID reads the number of the last event the client saw; it replies 400 itself
// when that is not a number.
func (a *API) lastEventID(w http.ResponseWriter, r *http.Request) (int, bool) {
	field, s := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if s == "" {
		field, s = "last_event_id", r.URL.Query().Get("last_event_id")
	}
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		a.invalid(w, r, domain.FieldError{Field: field, Message: "must be the id of an event: a whole number from 0"})
		return 0, false
	}
	return n, true
}
