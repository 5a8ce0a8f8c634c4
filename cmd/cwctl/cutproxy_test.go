package main

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// cutProxy stands between cwctl and a real API and breaks every event stream: it passes
// a connection's first `every` events (blank-line-ended blocks, keep-alives included)
// and a few bytes of the next, then drops the connection, as a flaky network would.
// Every other request passes untouched. It records the Last-Event-ID of each stream
// request.
type cutProxy struct {
	*httptest.Server
	every int

	mu     sync.Mutex
	resume []string // Last-Event-ID of each event stream request, in order ("" for none)
}

// cutPartial is how many bytes of the next event a cut connection still delivers.
const cutPartial = 7

func newCutProxy(t *testing.T, target string, every int) *cutProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{every: every}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // the cuts are on purpose: nothing to report
	rp.ModifyResponse = func(resp *http.Response) error {
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			resp.Body = &cuttingBody{ReadCloser: resp.Body, events: every, partial: cutPartial}
		}
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/events") {
			p.mu.Lock()
			p.resume = append(p.resume, r.Header.Get("Last-Event-ID"))
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r) // a body that fails midway makes it drop the client's connection
	}))
	t.Cleanup(p.Close)
	return p
}

// resumedFrom returns the Last-Event-ID of each event stream request so far.
func (p *cutProxy) resumedFrom() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.resume...)
}

// errCut is how a cut body ends.
var errCut = errors.New("connection cut by the test proxy")

// cuttingBody passes `events` whole blocks of an event stream, then partial bytes of the
// next, then fails.
type cuttingBody struct {
	io.ReadCloser
	events, partial int  // what is left to pass
	last            byte // the last byte passed, to find blank lines across reads
	cut             bool
}

func (b *cuttingBody) Read(p []byte) (int, error) {
	if b.cut {
		return 0, errCut
	}
	n, err := b.ReadCloser.Read(p)
	for i := 0; i < n; i++ {
		if b.events == 0 {
			if b.partial == 0 {
				b.cut = true
				if i == 0 {
					return 0, errCut
				}
				return i, nil
			}
			b.partial--
			continue
		}
		if p[i] == '\n' && b.last == '\n' {
			b.events--
		}
		b.last = p[i]
	}
	return n, err
}
