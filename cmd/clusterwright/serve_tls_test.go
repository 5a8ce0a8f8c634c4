package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/server/temporaltest"

	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
)

// TestServeTLS runs `clusterwright serve --tls-cert-file --tls-key-file` and reaches
// /readyz over HTTPS with a certificate from a CA made here, with HSTS in the reply;
// plain HTTP on the same port is refused.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(pki.LeafRequest{CommonName: "clusterwright", IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Server: true, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	dbURL := inventorytest.NewEmptyDatabase(t)
	secret := make([]byte, 32)
	rand.Read(secret)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		done <- runMain(ctx, []string{"serve", "--listen", addr, "--database-url", dbURL, "--log-level", "warn",
			"--temporal-address", ts.GetFrontendHostPort(), "--temporal-namespace", ts.GetDefaultNamespace(),
			"--secret-key", base64.StdEncoding.EncodeToString(secret),
			"--tls-cert-file", certFile, "--tls-key-file", keyFile}, &out, &out)
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get("https://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if resp.Header.Get("Strict-Transport-Security") == "" {
					t.Error("no Strict-Transport-Security over TLS")
				}
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready over HTTPS within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
