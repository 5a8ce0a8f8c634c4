package sim

import (
	"bytes"
	"crypto/tls"
	"log"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDatacenterLogsNoTLSHandshakeErrors starts a datacenter, as `clusterwright dev` does,
// and checks that its vCenter's log (the standard logger, where the simulator's HTTPS
// server reports failed handshakes) holds no "TLS handshake error": the datacenter's own
// client trusts the pinned certificate at the first handshake instead of trying a
// verifying one that the server sees end in a "bad certificate" alert.
func TestDatacenterLogsNoTLSHandshakeErrors(t *testing.T) {
	var out lockedBuffer
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(&out)
	t.Cleanup(func() { log.SetOutput(prevOut); log.SetFlags(prevFlags) })

	dc, err := StartDatacenter(t.Context(), DatacenterOptions{
		VCenter:  VCenterOptions{VMs: -1},
		StateDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(&out, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if logged := out.String(); strings.Contains(logged, "TLS handshake error") {
		t.Fatalf("the simulated vCenter logged TLS handshake errors:\n%s", logged)
	}

	// The capture works: a client that does not trust the certificate is logged.
	conn, err := tls.Dial("tcp", dc.VCenter().URL().Host, &tls.Config{})
	if err == nil {
		conn.Close()
		t.Fatal("a verifying client trusted the simulator's self-signed certificate")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "TLS handshake error") {
		if time.Now().After(deadline) {
			t.Fatal("a refused handshake was not logged; the test does not see the server's log")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
