package temporalrt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clusterwright/clusterwright/pki"
)

// pkiFiles are a CA, a serving certificate for frontend.test and a client certificate,
// each as PEM files in a directory.
type pkiFiles struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
	caPool                                               *x509.CertPool
}

func writePKI(t *testing.T, dir string) pkiFiles {
	t.Helper()
	ca, err := pki.NewCA("temporal test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(req pki.LeafRequest) (string, string) {
		t.Helper()
		req.Validity = time.Hour
		certPEM, keyPEM, err := ca.Issue(req)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, req.CommonName+".crt", string(certPEM)), writeFile(t, dir, req.CommonName+".key", string(keyPEM))
	}
	f := pkiFiles{caFile: writeFile(t, dir, "ca.crt", string(ca.CertPEM)), caPool: x509.NewCertPool()}
	f.caPool.AddCert(ca.Cert)
	f.serverCert, f.serverKey = leaf(pki.LeafRequest{CommonName: "frontend", DNSNames: []string{"frontend.test"}, Server: true})
	f.clientCert, f.clientKey = leaf(pki.LeafRequest{CommonName: "clusterwright-worker", Client: true})
	return f
}

// TestSecurityMutualTLS makes a real mutual TLS handshake with the client
// configuration built from the files: the client verifies the frontend against the CA
// file under the configured name, and the frontend sees the client certificate.
func TestSecurityMutualTLS(t *testing.T) {
	f := writePKI(t, t.TempDir())
	serverPair, err := tls.LoadX509KeyPair(f.serverCert, f.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{serverPair},
		ClientCAs: f.caPool, ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			if err := tc.Handshake(); err == nil && len(tc.ConnectionState().PeerCertificates) > 0 {
				peer <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
			}
			io.WriteString(tc, "x")
			tc.Close()
		}
	}()

	sec := Security{CertFile: f.clientCert, KeyFile: f.clientKey, CAFile: f.caFile, ServerName: "frontend.test"}
	cfg, err := sec.TLSConfig(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("mutual TLS handshake: %v", err)
	}
	conn.Close()
	select {
	case cn := <-peer:
		if cn != "clusterwright-worker" {
			t.Fatalf("the frontend saw client %q", cn)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the frontend saw no client certificate")
	}

	// The default server name is the address's host: 127.0.0.1 is not in the
	// frontend's certificate, so verification fails, as it must.
	def, err := Security{CAFile: f.caFile}.TLSConfig(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if def.ServerName != "127.0.0.1" {
		t.Fatalf("default ServerName %q", def.ServerName)
	}
	if c, err := tls.Dial("tcp", ln.Addr().String(), def); err == nil {
		c.Close()
		t.Fatal("a frontend certificate without the address's name was accepted")
	}
}

func TestSecurityFromFiles(t *testing.T) {
	dir := t.TempDir()
	f := writePKI(t, dir)

	var opts client.Options
	if err := (Security{}).Apply(&opts); err != nil || opts.ConnectionOptions.TLS != nil || opts.Credentials != nil {
		t.Fatalf("no settings changed the options: %v %+v", err, opts.ConnectionOptions)
	}

	for name, s := range map[string]Security{
		"cert without key": {CertFile: f.clientCert},
		"mismatched pair":  {CertFile: f.clientCert, KeyFile: f.serverKey},
		"missing CA file":  {CAFile: filepath.Join(dir, "nope.crt")},
		"CA file not PEM":  {CAFile: writeFile(t, dir, "garbage.crt", "not a certificate")},
		"empty API key":    {APIKeyFile: writeFile(t, dir, "empty.key", "\n")},
		"missing API key":  {APIKeyFile: filepath.Join(dir, "nope.key")},
	} {
		opts := client.Options{HostPort: "frontend.test:7233"}
		if err := s.Apply(&opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	keyFile := writeFile(t, dir, "api.key", "key-one\n")
	opts = client.Options{HostPort: "tenant.tmprl.cloud:7233"}
	if err := (Security{APIKeyFile: keyFile}).Apply(&opts); err != nil {
		t.Fatal(err)
	}
	if opts.Credentials == nil || opts.ConnectionOptions.TLS == nil || opts.ConnectionOptions.TLS.ServerName != "tenant.tmprl.cloud" {
		t.Fatalf("API key: credentials %v, TLS %+v", opts.Credentials, opts.ConnectionOptions.TLS)
	}
	k := &apiKeyFile{path: keyFile}
	if got, _ := k.get(context.Background()); got != "key-one" {
		t.Fatalf("API key %q", got)
	}
	// A rotated key file is read again.
	time.Sleep(10 * time.Millisecond)
	writeFile(t, dir, "api.key", "key-two-longer\n")
	if got, _ := k.get(context.Background()); got != "key-two-longer" {
		t.Fatalf("after rotation the API key is %q", got)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
