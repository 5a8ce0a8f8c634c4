package client

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestStreamParsesEvents reads the event stream format the API writes (named events,
// multi-line data, comments, blank keep-alives) and tells a clean end from a cut one.
func TestStreamParsesEvents(t *testing.T) {
	in := ": keep-alive\n\nevent: operation\ndata: {\"id\":\"a\",\ndata: \"state\":\"Running\"}\n\nevent: end\ndata: {}\n\n"
	s := NewStream(io.NopCloser(strings.NewReader(in)))
	want := []Event{{Name: "operation", Data: "{\"id\":\"a\",\n\"state\":\"Running\"}"}, {Name: "end", Data: "{}"}}
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
