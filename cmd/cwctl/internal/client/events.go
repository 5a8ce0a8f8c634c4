package client

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Event is one Server-Sent Event.
type Event struct {
	Name string // the "event:" field; "message" when absent
	Data string // the "data:" lines, joined by newlines
}

// Stream reads the events of one open event stream.
type Stream struct {
	body    io.ReadCloser
	scanner *bufio.Scanner
}

// maxEventLine bounds one line of an event stream (an operation with many steps).
const maxEventLine = 8 << 20

// Events opens the event stream at path. The caller closes it; canceling ctx ends it.
func (c *Client) Events(ctx context.Context, path string) (*Stream, error) {
	resp, err := c.send(ctx, http.MethodGet, path, nil, nil, "text/event-stream")
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
	return NewStream(resp.Body), nil
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
	for s.scanner.Scan() {
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
		case "event":
			ev.Name, seen = value, true
		case "data":
			data, seen = append(data, value), true
		}
	}
	if err := s.scanner.Err(); err != nil {
		return Event{}, fmt.Errorf("read event stream: %w", err)
	}
	if seen {
		return Event{}, io.ErrUnexpectedEOF
	}
	return Event{}, io.EOF
}

// Close ends the stream.
func (s *Stream) Close() error { return s.body.Close() }
