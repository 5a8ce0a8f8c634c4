package temporalrt

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

func TestDialGivesUpNamingTheAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Dial(ctx, client.Options{HostPort: addr, Logger: quietSDKLogger()})
	if err == nil {
		t.Fatal("Dial succeeded with no server")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
	if elapsed := time.Since(start); elapsed < 500*time.Millisecond {
		t.Errorf("Dial gave up after %s, before its context ended: it did not retry", elapsed)
	}
}

func TestDialFailsFastOnBadOptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, client.Options{HostPort: "127.0.0.1:1", Logger: quietSDKLogger(),
		ConnectionOptions: client.ConnectionOptions{TLSDisabled: true, TLS: &tls.Config{}}})
	if err == nil {
		t.Fatal("Dial accepted contradictory options")
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Dial retried a permanent error for %s", elapsed)
	}
}
