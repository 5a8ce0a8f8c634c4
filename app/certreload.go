package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves a certificate and key pair from two PEM files and reads them again
// when either file changes (its modification time or size), so a rotated certificate
// (cert-manager, a Kubernetes Secret volume, a renewed file) is served from the next
// handshake on, without a restart. A pair that does not load (e.g. the certificate
// already written, its key not yet) is logged and the previous pair is served meanwhile.
type certReloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	version fileVersions
	failed  fileVersions // the versions that last failed to load, logged once
}

// fileVersions identifies what a certificate was loaded from.
type fileVersions struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// newCertReloader loads the pair once, failing when it does not load.
func newCertReloader(certFile, keyFile string, logger *slog.Logger) (*certReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls-cert-file and tls-key-file must be set together")
	}
	r := &certReloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if _, err := r.current(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is the tls.Config callback.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.current()
}

// current returns the pair, reloaded when the files changed since it was loaded.
func (r *certReloader) current() (*tls.Certificate, error) {
	v, err := r.versions()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && (r.cert == nil || v != r.version) {
		err = r.load(v)
	}
	if r.cert == nil {
		return nil, err
	}
	return r.cert, nil
}

// load reads the pair; r.mu is held.
func (r *certReloader) load(v fileVersions) error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		err = fmt.Errorf("load TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
		if r.cert != nil && r.failed != v {
			r.failed = v
			r.logger.Error("TLS certificate not reloaded; serving the previous one", "error", err)
		}
		return err
	}
	first := r.cert == nil
	r.cert, r.version = &cert, v
	if !first {
		r.logger.Info("TLS certificate reloaded", "cert_file", r.certFile, "not_after", cert.Leaf.NotAfter)
	}
	return nil
}

func (r *certReloader) versions() (fileVersions, error) {
	c, err := os.Stat(r.certFile)
	if err != nil {
		return fileVersions{}, fmt.Errorf("tls-cert-file: %w", err)
	}
	k, err := os.Stat(r.keyFile)
	if err != nil {
		return fileVersions{}, fmt.Errorf("tls-key-file: %w", err)
	}
	return fileVersions{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}
