package chartrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultAddr is where Start listens when given no address: a free port on
// the loopback interface.
const DefaultAddr = "127.0.0.1:0"

// shutdownGrace bounds how long Close waits for requests in flight.
const shutdownGrace = 5 * time.Second

// Repo is a running HTTP chart repository serving index.yaml and the
// packaged charts at its root, like https://charts.antrea.io does.
type Repo struct {
	url       string
	srv       *http.Server
	served    chan error
	closeOnce sync.Once
	closeErr  error
}

// Start packages the charts and serves them over HTTP on addr (DefaultAddr
// when empty) until Close.
func Start(addr string) (*Repo, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	pkgs, err := packaged()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("chartrepo: listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	idx, err := index(pkgs, url)
	if err != nil {
		ln.Close()
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.yaml", serveBytes("index.yaml", "application/yaml", idx, time.Now()))
	for _, p := range pkgs {
		mux.HandleFunc("GET /"+p.filename, serveBytes(p.filename, "application/gzip", p.data, p.modTime))
	}
	r := &Repo{
		url:    url,
		srv:    &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		served: make(chan error, 1),
	}
	go func() { r.served <- r.srv.Serve(ln) }()
	return r, nil
}

// serveBytes serves a fixed document, with HEAD, ranges and conditional
// requests handled by http.ServeContent.
func serveBytes(name, contentType string, data []byte, modTime time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", contentType)
		http.ServeContent(w, req, name, modTime, bytes.NewReader(data))
	}
}

// URL is the repository's URL, like http://127.0.0.1:41234, to use as a Helm
// repository URL (helm repo add, ChartPathOptions.RepoURL).
func (r *Repo) URL() string { return r.url }

// Close stops serving, waiting briefly for requests in flight. It is safe
// to call more than once.
func (r *Repo) Close() error {
	r.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		err := r.srv.Shutdown(ctx)
		if serveErr := <-r.served; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
		if err != nil {
			r.closeErr = fmt.Errorf("chartrepo: close: %w", err)
		}
	})
	return r.closeErr
}
