package nodes

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestTail checks that the tail keeps the last bytes of any sequence of writes.
func TestTail(t *testing.T) {
	var all bytes.Buffer
	tl := newTail(100)
	for i := range 50 {
		chunk := strings.Repeat(fmt.Sprint(i%10), i*3)
		all.WriteString(chunk)
		if n, err := tl.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("write = %d, %v", n, err)
		}
		got, total := tl.snapshot()
		want := all.String()[max(0, all.Len()-100):]
		if got != want || total != int64(all.Len()) {
			t.Fatalf("after %d writes: %q (total %d), want %q (total %d)", i+1, got, total, want, all.Len())
		}
	}
}

// TestBoundedTail checks the output that goes into an error: bounded to
// the limit, redacted, with a secret cut by the tail never shown in part.
func TestBoundedTail(t *testing.T) {
	secret := "s3cr3t-" + strings.Repeat("x", 40) + "-end"
	const limit, pad = 64, 60

	tl := newTail(limit + pad)
	// The secret straddles the start of what the tail keeps.
	io.WriteString(tl, strings.Repeat("a", 500)+secret)
	io.WriteString(tl, strings.Repeat("b", limit+pad-20)+"\nexit line\n")
	text, total, cut := tl.boundedTail(limit, pad, []string{secret})
	if !cut || total != int64(500+len(secret)+limit+pad-20+len("\nexit line\n")) || len(text) > limit {
		t.Fatalf("tail %q, total %d, cut %v", text, total, cut)
	}
	if !strings.HasSuffix(text, "\nexit line\n") {
		t.Errorf("tail %q lost the end", text)
	}
	for i := 4; i <= len(secret); i++ {
		for j := 0; j+i <= len(secret); j += 4 {
			if part := secret[j : j+i]; strings.Contains(text, part) && strings.ContainsAny(part, "3-") {
				t.Fatalf("tail %q shows part %q of the secret", text, part)
			}
		}
	}

	// Short output is shown whole, secrets redacted.
	tl = newTail(limit + pad)
	io.WriteString(tl, "token abcdef.0123456789abcdef\n")
	text, total, cut = tl.boundedTail(limit, pad, nil)
	if cut || text != "token "+RedactedMark+"\n" || total != 30 {
		t.Errorf("short tail %q, %d, %v", text, total, cut)
	}
	if got := describeOutput(text, total, cut); got != "output:\ntoken "+RedactedMark+"\n" {
		t.Errorf("describe = %q", got)
	}
	if got := describeOutput("", 0, false); got != "no output" {
		t.Errorf("describe = %q", got)
	}
}

func TestLimitedBuffer(t *testing.T) {
	b := &limitedBuffer{max: 10}
	w := io.MultiWriter(b, io.Discard) // a short write would stop MultiWriter
	for range 3 {
		if n, err := w.Write([]byte("123456")); n != 6 || err != nil {
			t.Fatalf("write = %d, %v", n, err)
		}
	}
	if b.buf.String() != "1234561234" || b.dropped != 8 {
		t.Errorf("buffer %q, dropped %d", b.buf.String(), b.dropped)
	}
}
