package nodes

import (
	"bytes"
	"fmt"
	"sync"
)

// Bounds of what a command's output may hold in memory.
const (
	// OutputTail is how much of a failed command's combined output (the
	// last bytes) goes into its error.
	OutputTail = 8 << 10
	// MaxStdout bounds the standard output a command returns to its caller
	// for parsing; more is dropped and Output.StdoutTruncated set.
	MaxStdout = 4 << 20
	// redactPad is the extra tail kept so that a secret cut at the start
	// of the tail is dropped rather than shown in part.
	redactPad = 4 << 10
)

// tail keeps the last max bytes written to it, from several writers at once
// (a command's stdout and stderr are copied concurrently).
type tail struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		n := copy(t.buf, t.buf[len(t.buf)-t.max:])
		t.buf = t.buf[:n]
	}
	return len(p), nil
}

// snapshot returns the bytes kept and how many were written in all.
func (t *tail) snapshot() (string, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf), t.total
}

// boundedTail returns the last limit bytes of what t kept, redacted, and
// whether output was left out. t must keep at least limit+pad bytes, pad
// no shorter than any secret, so that a secret cut at the front of what t
// kept lies in the dropped pad.
func (t *tail) boundedTail(limit, pad int, secrets []string) (text string, total int64, cut bool) {
	raw, total := t.snapshot()
	cutFront := 0
	if total > int64(len(raw)) {
		cutFront, cut = min(pad, len(raw)), true
	}
	text = redact(raw, cutFront, secrets)
	if len(text) > limit {
		text, cut = text[len(text)-limit:], true
	}
	return text, total, cut
}

// limitedBuffer keeps the first max bytes written to it and counts the rest.
// It never fails a write, so that the command's output keeps flowing.
type limitedBuffer struct {
	max     int
	buf     bytes.Buffer
	dropped int64
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := max(b.max-b.buf.Len(), 0); room < n {
		b.dropped += int64(n - room)
		p = p[:room]
	}
	b.buf.Write(p)
	return n, nil
}

// describeOutput formats a command's output for an error: its redacted
// tail and, when cut, how much of how much it shows.
func describeOutput(text string, total int64, cut bool) string {
	switch {
	case total == 0:
		return "no output"
	case cut:
		return fmt.Sprintf("output (the last %d of %d bytes):\n%s", len(text), total, text)
	default:
		return fmt.Sprintf("output:\n%s", text)
	}
}
