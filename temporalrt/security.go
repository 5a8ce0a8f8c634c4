package temporalrt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// Security is how the client authenticates the Temporal frontend and itself to it:
// TLS with an optional client certificate (mTLS), and an optional API key. Every field
// names a file, so that secrets come from mounted Secrets and never from a flag's value.
type Security struct {
	// CertFile and KeyFile are the client certificate and key (PEM) for mTLS; they are
	// read again on every TLS handshake, so a rotated pair is used at the next connect.
	CertFile, KeyFile string
	// CAFile holds the PEM certificates the frontend's certificate must chain to
	// (default: the system's roots).
	CAFile string
	// ServerName is the name the frontend's certificate must carry (default: the host
	// of the frontend's address).
	ServerName string
	// APIKeyFile holds an API key sent as a bearer token on every call (Temporal
	// Cloud); it is read again when the file changes.
	APIKeyFile string
}

// Enabled reports whether any setting asks for TLS (an API key is only sent over TLS).
func (s Security) Enabled() bool {
	return s != Security{}
}

// TLSConfig is the client's TLS configuration for the frontend at hostPort, checked
// now: the CA file parses and the client pair loads.
func (s Security) TLSConfig(hostPort string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(hostPort)
		if err != nil {
			host = hostPort
		}
		cfg.ServerName = host
	}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("temporal-tls-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal-tls-ca-file %s: no PEM certificate in it", s.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case s.CertFile != "" && s.KeyFile != "":
		if _, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile); err != nil {
			return nil, fmt.Errorf("temporal-tls-cert-file and temporal-tls-key-file: %w", err)
		}
		certFile, keyFile := s.CertFile, s.KeyFile
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("temporal client certificate: %w", err)
			}
			return &c, nil
		}
	case s.CertFile != "" || s.KeyFile != "":
		return nil, errors.New("temporal-tls-cert-file and temporal-tls-key-file must be set together")
	}
	return cfg, nil
}

// Apply sets opts's TLS and credentials by s; without any setting it leaves opts as
// they are (plain text, as the embedded dev server wants).
func (s Security) Apply(opts *client.Options) error {
	if !s.Enabled() {
		return nil
	}
	cfg, err := s.TLSConfig(opts.HostPort)
	if err != nil {
		return err
	}
	opts.ConnectionOptions.TLS = cfg
	if s.APIKeyFile != "" {
		key := &apiKeyFile{path: s.APIKeyFile}
		if _, err := key.get(context.Background()); err != nil {
			return err
		}
		opts.Credentials = client.NewAPIKeyDynamicCredentials(key.get)
	}
	return nil
}

// apiKeyFile reads an API key from a file, again when the file changes.
type apiKeyFile struct {
	path string

	mu   sync.Mutex
	mod  time.Time
	size int64
	key  string
}

func (k *apiKeyFile) get(context.Context) (string, error) {
	fi, err := os.Stat(k.path)
	if err != nil {
		return "", fmt.Errorf("temporal-api-key-file: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != "" && fi.ModTime().Equal(k.mod) && fi.Size() == k.size {
		return k.key, nil
	}
	b, err := os.ReadFile(k.path)
	if err != nil {
		return "", fmt.Errorf("temporal-api-key-file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("temporal-api-key-file %s is empty", k.path)
	}
	k.key, k.mod, k.size = key, fi.ModTime(), fi.Size()
	return key, nil
}
