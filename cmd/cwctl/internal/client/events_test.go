package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStreamParsesEvents reads the event stream format the API writes (ids, named events,
// multi-line data, comments, blank keep-alives) and tells a clean end from a cut one.
func TestStreamParsesEvents(t *testing.T) {
	in := ": keep-alive\n\nid: 1\nevent: operation\ndata: {\"id\":\"a\",\ndata: \"state\":\"Running\"}\n\n" +
		"id: 2\nevent: step\ndata: {\"index\":0}\n\nevent: end\ndata: {}\n\n"
	s := NewStream(io.NopCloser(strings.NewReader(in)))
	want := []Event{
		{ID: "1", Name: "operation", Data: "{\"id\":\"a\",\n\"state\":\"Running\"}"},
		{ID: "2", Name: "step", Data: "{\"index\":0}"},
		{Name: "end", Data: "{}"},
	}
	for i, w := range want {
		ev, err := s.Next()
		if err != nil || ev != w {
			t.Fatalf("event %d = %+v, %v; want %+v", i, ev, err, w)
		}
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last event: %v, want io.EOF", err)
	}
	cut := NewStream(io.NopCloser(strings.NewReader("event: operation\ndata: {")))
	if _, err := cut.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a stream cut inside an event: %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestEventsResumeAndIdle: Events sends Last-Event-ID when given one, keep-alives keep
// the stream open, and a stream that goes silent is closed after the idle limit.
func TestEventsResumeAndIdle(t *testing.T) {
	gotLast := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotLast <- r.Header.Get("Last-Event-ID")
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		for range 3 { // keep-alives closer together than the idle limit
			w.Write([]byte(": keep-alive\n\n"))
			f.Flush()
			time.Sleep(100 * time.Millisecond)
		}
		w.Write([]byte("id: 8\nevent: step\ndata: {}\n\n"))
		f.Flush()
		<-r.Context().Done() // then silence
	}))
	defer srv.Close()
	c, err := New(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	s, err := c.Events(ctx, "/events", "7", 250*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if ev, err := s.Next(); err != nil || ev.ID != "8" {
		t.Fatalf("first event: %+v %v", ev, err)
	}
	if _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "silent for 250ms") {
		t.Fatalf("a silent stream: %v, want the idle error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the silent stream was closed after %s", d)
	}
	s2, err := c.Events(ctx, "/events", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if first, second := <-gotLast, <-gotLast; first != "7" || second != "" {
		t.Fatalf("Last-Event-ID headers sent: %q then %q, want 7 then none", first, second)
	}
}
