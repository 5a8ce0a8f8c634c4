package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

func (a *API) listOperations(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	q := r.URL.Query()
	f := inventory.OperationFilter{Cluster: q.Get("cluster"), Kind: q.Get("kind"), Actor: q.Get("actor"),
		State: oneOf(r, &v, "state", domain.OperationStates), Target: q.Get("target")}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	ops, next, err := a.store.ListOperations(r.Context(), f, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(ops, next))
}

// withOperation loads the operation named in the URL once.
func (a *API) withOperation(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		op, err := a.store.GetOperation(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keyEntity, op)))
	}
}

func operationOf(r *http.Request) domain.Operation {
	return r.Context().Value(keyEntity).(domain.Operation)
}

func (a *API) getOperation(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, operationOf(r))
}

func (a *API) cancelOperation(w http.ResponseWriter, r *http.Request) {
	op := operationOf(r)
	if err := a.ops.Cancel(r.Context(), op); err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, op)
}

// eventPoll is how often the event stream looks for changes.
const eventPoll = 500 * time.Millisecond

// operationEvents streams the operation as Server-Sent Events: an "operation" event with
// the whole operation whenever it or one of its steps changes, until it ends.
func (a *API) operationEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		a.writeProblem(w, r, Problem{Status: http.StatusInternalServerError, Detail: "streaming unsupported"})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	op := operationOf(r)
	last := ""
	tick := time.NewTicker(eventPoll)
	defer tick.Stop()
	for {
		b, _ := json.Marshal(op)
		if s := string(b); s != last {
			last = s
			fmt.Fprintf(w, "event: operation\ndata: %s\n\n", b)
			flusher.Flush()
		}
		if op.State != domain.OpPending && op.State != domain.OpRunning {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			flusher.Flush()
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		next, err := a.store.GetOperation(r.Context(), op.ID)
		if err != nil {
			a.logger.WarnContext(r.Context(), "operation events", "operation", op.ID, "error", err)
			return
		}
		op = next
	}
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	q := r.URL.Query()
	f := inventory.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			v.Add("since", "must be an RFC 3339 time")
		}
		f.Since = t
	}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	events, next, err := a.store.ListAudit(r.Context(), f, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(events, next))
}
