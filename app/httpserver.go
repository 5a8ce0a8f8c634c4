package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTPTimeouts bound the API server's connections. The event stream and the downloads
// lift or extend them per request (api.Config's routes do, with http.ResponseController).
type HTTPTimeouts struct {
	// ReadHeader bounds reading a request's headers (a slowloris client is cut).
	ReadHeader time.Duration
	// Read bounds reading a whole request, its body included.
	Read time.Duration
	// Write bounds a handler's reply from the end of the request's headers.
	Write time.Duration
	// Idle bounds a kept-alive connection between requests.
	Idle time.Duration
}

// DefaultHTTPTimeouts are the API server's timeouts.
var DefaultHTTPTimeouts = HTTPTimeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Write: 2 * time.Minute, Idle: 2 * time.Minute}

// HTTPServer is the API's server: its timeouts and, when tls-cert-file is set, TLS with
// a certificate that is reloaded when its files change.
type HTTPServer struct {
	*http.Server
	// TLS tells whether the server serves HTTPS.
	TLS bool
}

// NewHTTPServer returns the server of handler with timeouts t, serving TLS when the
// configuration names a certificate.
func (c *Config) NewHTTPServer(handler http.Handler, t HTTPTimeouts, logger *slog.Logger) (*HTTPServer, error) {
	srv := &HTTPServer{Server: &http.Server{
		Addr: c.Listen, Handler: handler,
		ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}
	if c.TLSCertFile == "" && c.TLSKeyFile == "" {
		return srv, nil
	}
	r, err := newCertReloader(c.TLSCertFile, c.TLSKeyFile, logger)
	if err != nil {
		return nil, err
	}
	srv.TLS = true
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
	return srv, nil
}

// Scheme is "https" or "http".
func (s *HTTPServer) Scheme() string {
	if s.TLS {
		return "https"
	}
	return "http"
}

// Serve serves on ln (with TLS when configured) until Shutdown.
func (s *HTTPServer) Serve(ln net.Listener) error {
	if s.TLS {
		return s.Server.ServeTLS(ln, "", "")
	}
	return s.Server.Serve(ln)
}

// Run listens on the server's address and serves until ctx ends, then shuts down,
// giving requests in flight up to grace to finish.
func (s *HTTPServer) Run(ctx context.Context, grace time.Duration, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	logger.Info("serving", "listen", ln.Addr().String(), "scheme", s.Scheme())
	select {
	case err := <-errc:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api server shutdown: %w", err)
	}
	return nil
}
