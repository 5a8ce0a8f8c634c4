package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeToken is the bearer token the fake API takes.
const fakeToken = "cw_fake-token"

// fakeAPI speaks the issue 8 server contract (notes/issue8-contract.md) with scripted
// replies, for exact output and the failures a real server rarely shows (drops, silence,
// 503): one operation's durable event log (resumable with Last-Event-ID), retry, and the
// dev mode faults. Every request is recorded.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced when the log grows
	op       map[string]any
	log      []fakeEvent
	ended    bool  // the log's last event ended the operation: the stream sends end
	drops    []int // per connection, in order: after how many events it is cut (-1: never)
	conns    int
	lastIDs  []string // the Last-Event-ID of each connection
	requests []fakeRequest
	onRetry  func(f *fakeAPI) (status int, body any) // called with mu held
	faults   []string
	devMode  bool
	lists    map[string]string    // reply of GET path (a list), by path
	scripted map[string]fakeReply // replies by "METHOD path", before any other route
}

// fakeReply is a scripted reply: its status and JSON body (a problem when status >= 400).
type fakeReply struct {
	status int
	body   any
}

type fakeEvent struct {
	name string
	data map[string]any
}

type fakeRequest struct {
	method, path, query string
	body                []byte
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, changed: make(chan struct{}), devMode: true, lists: map[string]string{},
		scripted: map[string]fakeReply{},
		op: map[string]any{"id": opID, "kind": "cluster.provision", "state": "Pending", "steps": []any{},
			"target": map[string]any{"kind": "cluster", "id": "c1", "name": "beta"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/operations/{id}/events", f.events)
	mux.HandleFunc("GET /api/v1/operations/{id}", f.getOperation)
	mux.HandleFunc("POST /api/v1/operations/{id}/retry", f.retry)
	mux.HandleFunc("GET /dev/faults", f.listFaults)
	mux.HandleFunc("POST /dev/faults", f.addFault)
	mux.HandleFunc("DELETE /dev/faults", f.clearFaults)
	mux.HandleFunc("GET /api/v1/{resource}", f.list)
	mux.HandleFunc("POST /api/v1/{resource}", f.create)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, fakeRequest{r.Method, r.URL.Path, r.URL.RawQuery, body})
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			problem(w, http.StatusUnauthorized, "missing or unknown token", nil)
			return
		}
		f.mu.Lock()
		scripted, ok := f.scripted[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		if ok {
			if scripted.status >= 400 {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(scripted.status)
				json.NewEncoder(w).Encode(scripted.body)
				return
			}
			reply(w, scripted.status, scripted.body)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	t.Setenv(envURL, f.srv.URL)
	t.Setenv(envToken, fakeToken)
	return f
}

// append adds events to the log and wakes the streams that wait for them. An event
// "operation" also becomes the operation's state for GET (its fields but the steps); a
// "step" event replaces the step at its index.
func (f *fakeAPI) append(evs ...fakeEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appendLocked(evs...)
}

func (f *fakeAPI) appendLocked(evs ...fakeEvent) {
	for _, ev := range evs {
		f.log = append(f.log, ev)
		switch ev.name {
		case "operation":
			steps := f.op["steps"]
			f.op = map[string]any{"steps": steps}
			for k, v := range ev.data {
				f.op[k] = v
			}
			switch ev.data["state"] {
			case "Succeeded", "Failed", "Canceled":
				f.ended = true
			}
		case "step":
			steps := f.op["steps"].([]any)
			st := map[string]any{}
			for k, v := range ev.data {
				if k != "index" {
					st[k] = v
				}
			}
			if i := ev.data["index"].(int); i == len(steps) {
				steps = append(steps, st)
			} else {
				steps[i] = st
			}
			f.op["steps"] = steps
		}
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

// events serves the event stream from after Last-Event-ID (or ?last_event_id), with a
// keep-alive comment first and every 50 ms while there is nothing to send. A connection
// whose drop count is reached is cut in the middle of its next event.
func (f *fakeAPI) events(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != opID {
		problem(w, http.StatusNotFound, "operation "+r.PathValue("id")+" not found", nil)
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	next := 0
	if last != "" {
		n, err := strconv.Atoi(last)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad Last-Event-ID", nil)
			return
		}
		next = n
	}
	f.mu.Lock()
	conn := f.conns
	f.conns++
	f.lastIDs = append(f.lastIDs, last)
	drop := -1
	if conn < len(f.drops) {
		drop = f.drops[conn]
	}
	f.mu.Unlock()

	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flush := w.(http.Flusher).Flush
	io.WriteString(w, ": keep-alive\n\n")
	flush()
	sent := 0
	for {
		f.mu.Lock()
		pending := append([]fakeEvent(nil), f.log[next:]...)
		ended, changed := f.ended, f.changed
		f.mu.Unlock()
		for _, ev := range pending {
			next++
			b, err := json.Marshal(ev.data)
			if err != nil {
				f.t.Errorf("event %d: %v", next, err)
				return
			}
			msg := fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", next, ev.name, b)
			if sent == drop {
				io.WriteString(w, msg[:len(msg)/2]) // cut inside the event
				flush()
				panic(http.ErrAbortHandler)
			}
			io.WriteString(w, msg)
			flush()
			sent++
		}
		if ended {
			io.WriteString(w, "event: end\ndata: {}\n\n")
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-time.After(50 * time.Millisecond):
			io.WriteString(w, ": keep-alive\n\n")
			flush()
		}
	}
}

func (f *fakeAPI) getOperation(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != opID {
		problem(w, http.StatusNotFound, "operation "+r.PathValue("id")+" not found", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	reply(w, http.StatusOK, f.op)
}

func (f *fakeAPI) retry(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.PathValue("id") != opID {
		problem(w, http.StatusNotFound, "operation "+r.PathValue("id")+" not found", nil)
		return
	}
	if f.op["state"] != "AwaitingDecision" || f.onRetry == nil {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(map[string]any{"type": "https://clusterwright.dev/problems/not-awaiting-decision",
			"title": "Conflict", "status": 409, "detail": fmt.Sprintf("operation %s is %s, not awaiting a decision", opID, f.op["state"])})
		return
	}
	status, body := f.onRetry(f)
	if status == http.StatusAccepted {
		w.Header().Set("Location", "/api/v1/operations/"+opID)
	}
	reply(w, status, body)
}

func (f *fakeAPI) listFaults(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.devMode {
		problem(w, http.StatusNotFound, "no such endpoint", nil)
		return
	}
	reply(w, http.StatusOK, map[string]any{"faults": append([]string{}, f.faults...),
		"fired": []string{"vsphere.clone #3 on beta-md-default-1"}, "kinds": []string{"vsphere.clone", "node.boot"}})
}

func (f *fakeAPI) addFault(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.devMode {
		problem(w, http.StatusNotFound, "no such endpoint", nil)
		return
	}
	var in struct{ Fault string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !strings.Contains(in.Fault, ":") {
		problem(w, http.StatusBadRequest, "invalid fault", []map[string]string{{"field": "fault", "message": "want KIND:N or KIND:vm=NAME[,times=T]"}})
		return
	}
	canonical := strings.ReplaceAll(in.Fault, " ", "")
	f.faults = append(f.faults, canonical)
	reply(w, http.StatusCreated, map[string]string{"fault": canonical})
}

func (f *fakeAPI) clearFaults(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.devMode {
		problem(w, http.StatusNotFound, "no such endpoint", nil)
		return
	}
	f.faults = nil
	w.WriteHeader(http.StatusNoContent)
}

// list replies with the list set for the path, or an empty one.
func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	body, ok := f.lists[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		body = `{"items": []}`
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

// create answers POST /api/v1/{clusters,ippools,vcenters} as the real API does, with the
// body's name: an operation, a pool, or a vCenter and its first sync.
func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name string }
	json.NewDecoder(r.Body).Decode(&in)
	op := map[string]any{"id": "op-" + in.Name, "kind": "cluster.provision", "state": "Pending", "steps": []any{},
		"target": map[string]any{"kind": "cluster", "name": in.Name}}
	switch r.PathValue("resource") {
	case "clusters":
		reply(w, http.StatusAccepted, map[string]any{"operation": op})
	case "ippools":
		reply(w, http.StatusCreated, map[string]any{"name": in.Name, "cidr": "10.0.0.0/24", "size": 241, "free": 241})
	case "vcenters":
		op["kind"], op["target"] = "vcenter.sync", map[string]any{"kind": "vcenter", "name": in.Name}
		reply(w, http.StatusAccepted, map[string]any{"vcenter": map[string]any{"name": in.Name, "server": "https://vc/sdk"}, "operation": op})
	default:
		problem(w, http.StatusNotFound, "no such endpoint", nil)
	}
}

// script makes the fake answer method path with status and body.
func (f *fakeAPI) script(method, path string, status int, body any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripted[method+" "+path] = fakeReply{status, body}
}

// requestsTo are the recorded requests with method and path.
func (f *fakeAPI) requestsTo(method, path string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.method == method && r.path == path {
			out = append(out, r)
		}
	}
	return out
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func problem(w http.ResponseWriter, status int, detail string, errs []map[string]string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail, "errors": errs})
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// cwctlAsync runs cwctl in the background; wait returns its result.
func cwctlAsync(t *testing.T, args ...string) (stdout *syncBuffer, wait func() result) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan int, 1)
	go func() { done <- runMain(ctx, args, &out, &errOut) }()
	return &out, func() result {
		defer cancel()
		code := <-done
		t.Logf("cwctl %s (in the background): exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		return result{out.String(), errOut.String(), code}
	}
}
