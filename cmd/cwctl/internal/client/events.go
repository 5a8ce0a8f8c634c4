package client

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Event is one Server-Sent Event.
type Event struct {
	ID   string // the "id:" field; "" when the event has none
	Name string // the "event:" field; "message" when absent
	Data string // the "data:" lines, joined by newlines
}

// Stream reads the events of one open event stream.
type Stream struct {
	body    io.ReadCloser
	scanner *bufio.Scanner
	idle    *idleTimer
}

// maxEventLine bounds one line of an event stream (an operation with many steps).
const maxEventLine = 8 << 20

// Events opens the event stream at path. A lastEventID that is not "" is sent as the
// Last-Event-ID header, so that the server resumes after that event. When idle is not
// zero and nothing (not even a keep-alive comment) arrives for that long, the stream is
// closed and Next returns an error: the connection is taken for dead. The caller closes
// the stream; canceling ctx ends it.
func (c *Client) Events(ctx context.Context, path, lastEventID string, idle time.Duration) (*Stream, error) {
	var header http.Header
	if lastEventID != "" {
		header = http.Header{"Last-Event-ID": {lastEventID}}
	}
	resp, err := c.send(ctx, http.MethodGet, path, nil, nil, "text/event-stream", header)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, parseProblem(resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: reply is %q, not an event stream", path, ct)
	}
	s := NewStream(resp.Body)
	if idle > 0 {
		s.idle = newIdleTimer(idle, func() { resp.Body.Close() })
	}
	return s, nil
}

// NewStream reads events from r (the body of a text/event-stream reply).
func NewStream(r io.ReadCloser) *Stream {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	return &Stream{body: r, scanner: s}
}

// Next returns the next event; io.EOF when the stream ended between events.
func (s *Stream) Next() (Event, error) {
	var ev Event
	var data []string
	seen := false
	for s.scan() {
		line := s.scanner.Text()
		if line == "" {
			if !seen {
				continue
			}
			ev.Data = strings.Join(data, "\n")
			if ev.Name == "" {
				ev.Name = "message"
			}
			return ev, nil
		}
		if strings.HasPrefix(line, ":") { // a comment, e.g. a keep-alive
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID, seen = value, true
		case "event":
			ev.Name, seen = value, true
		case "data":
			data, seen = append(data, value), true
		}
	}
	if s.idle != nil && s.idle.fired() {
		return Event{}, fmt.Errorf("event stream silent for %s (no event, no keep-alive): taken for dead", s.idle.limit)
	}
	if err := s.scanner.Err(); err != nil {
		return Event{}, fmt.Errorf("read event stream: %w", err)
	}
	if seen {
		return Event{}, io.ErrUnexpectedEOF
	}
	return Event{}, io.EOF
}

// scan reads the next line; every line read, keep-alive comments too, proves the
// connection alive.
func (s *Stream) scan() bool {
	ok := s.scanner.Scan()
	if ok && s.idle != nil {
		s.idle.reset()
	}
	return ok
}

// Close ends the stream.
func (s *Stream) Close() error {
	if s.idle != nil {
		s.idle.stop()
	}
	return s.body.Close()
}

// idleTimer runs onIdle when reset has not been called for limit.
type idleTimer struct {
	limit time.Duration
	timer *time.Timer

	mu      sync.Mutex
	expired bool
}

func newIdleTimer(limit time.Duration, onIdle func()) *idleTimer {
	t := &idleTimer{limit: limit}
	t.timer = time.AfterFunc(limit, func() {
		t.mu.Lock()
		t.expired = true
		t.mu.Unlock()
		onIdle()
	})
	return t
}

func (t *idleTimer) reset() { t.timer.Reset(t.limit) }
func (t *idleTimer) stop()  { t.timer.Stop() }

func (t *idleTimer) fired() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.expired
}
