package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/pki"
)

// issueServing writes a serving certificate for 127.0.0.1 that ca issued to certFile and
// keyFile, and returns its serial number.
func issueServing(t *testing.T, ca *pki.CA, certFile, keyFile string) *big.Int {
	t.Helper()
	certPEM, keyPEM, err := ca.Issue(pki.LeafRequest{CommonName: "clusterwright", IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Server: true, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return cert.SerialNumber
}

// TestTLSCertificateReloaded serves HTTPS from a real listener, rotates the certificate
// files and sees the next handshake present the new certificate, without a restart; a
// half-written pair keeps the previous certificate served.
func TestTLSCertificateReloaded(t *testing.T) {
	ca, err := pki.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first := issueServing(t, ca, certFile, keyFile)

	cfg := Config{Listen: "127.0.0.1:0"}
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := cfg.NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), DefaultHTTPTimeouts, logger)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.TLS || srv.Scheme() != "https" {
		t.Fatalf("server TLS = %v, scheme %s", srv.TLS, srv.Scheme())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	serial := func() *big.Int {
		t.Helper()
		// A new client each time: a new connection, a new handshake.
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + ln.Addr().String() + "/")
		if err != nil {
			t.Fatalf("GET over TLS: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "ok" {
			t.Fatalf("reply %q", b)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber
	}
	if got := serial(); got.Cmp(first) != 0 {
		t.Fatalf("first certificate serial %d, want %d", got, first)
	}

	// Rotate: a new pair in place of the old one.
	second := issueServing(t, ca, certFile, keyFile)
	if got := serial(); got.Cmp(second) != 0 {
		t.Fatalf("after rotation the server presents serial %d, want %d", got, second)
	}

	// A certificate written without its key yet: the previous pair is still served.
	other := filepath.Join(dir, "other")
	third := issueServing(t, ca, other+".crt", other+".key")
	crt, _ := os.ReadFile(other + ".crt")
	if err := os.WriteFile(certFile, crt, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := serial(); got.Cmp(second) != 0 {
		t.Fatalf("with a mismatched pair the server presents serial %d, want the previous %d", got, second)
	}
	key, _ := os.ReadFile(other + ".key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := serial(); got.Cmp(third) != 0 {
		t.Fatalf("once the key follows the server presents serial %d, want %d", got, third)
	}
}

// TestTLSSettingsRequireBoth refuses a certificate without its key.
func TestTLSSettingsRequireBoth(t *testing.T) {
	cfg := Config{}
	cfg.TLSCertFile = filepath.Join(t.TempDir(), "tls.crt")
	if _, err := cfg.NewHTTPServer(http.NotFoundHandler(), DefaultHTTPTimeouts, slog.Default()); err == nil {
		t.Fatal("tls-cert-file without tls-key-file was accepted")
	}
}

// TestSlowlorisHeaderCut opens a connection that sends its headers slowly: the server
// closes it once ReadHeaderTimeout passes, long before the client would have finished.
func TestSlowlorisHeaderCut(t *testing.T) {
	cfg := Config{}
	timeouts := HTTPTimeouts{ReadHeader: 300 * time.Millisecond, Read: time.Minute, Write: time.Minute, Idle: time.Minute}
	srv, err := cfg.NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), timeouts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// One more header line every 100 ms, for up to 5 s: the server must hang up first.
	cut := false
	for i := 0; i < 50 && !cut; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := io.WriteString(conn, "X-Slow: a\r\n"); err != nil {
			cut = true
			break
		}
		conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		var b [1]byte
		if _, err := conn.Read(b[:]); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				cut = true
			}
		}
	}
	elapsed := time.Since(start)
	if !cut {
		t.Fatalf("the server kept a connection that sent headers for %s", elapsed)
	}
	if elapsed > 3*time.Second {
		t.Fatalf("the server cut the slow headers only after %s, want about 300ms", elapsed)
	}
	t.Logf("slow headers cut after %s", elapsed.Round(time.Millisecond))

	// A normal request on the same server is answered.
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("normal request: %d", resp.StatusCode)
	}
}
