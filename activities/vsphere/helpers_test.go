package vsphere

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/clusterwright/clusterwright/sim"
)

// testPassword is distinctive so that a leak into an error message is found.
const testPassword = "Zq7-secret-Pa55word-91"

func startVCenter(t testing.TB, opts sim.VCenterOptions) *sim.VCenter {
	t.Helper()
	if opts.Password == "" {
		opts.Password = testPassword
	}
	vc, err := sim.StartVCenter(opts)
	if err != nil {
		t.Fatalf("start vcsim: %v", err)
	}
	t.Cleanup(vc.Close)
	return vc
}

func newTestSessions(t testing.TB) *Sessions {
	t.Helper()
	s := NewSessions(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// countingRoundTripper counts SOAP round trips per method.
type countingRoundTripper struct {
	next  soap.RoundTripper
	total atomic.Int64
	mu    sync.Mutex
	calls []string
}

func (c *countingRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	c.total.Add(1)
	c.mu.Lock()
	c.calls = append(c.calls, methodName(req))
	c.mu.Unlock()
	return c.next.RoundTrip(ctx, req, res)
}

// methodName turns *methods.CreateContainerViewBody into CreateContainerView.
func methodName(req soap.HasFault) string {
	name := fmt.Sprintf("%T", req)
	name = name[strings.LastIndex(name, ".")+1:]
	return strings.TrimSuffix(name, "Body")
}

// counted returns a copy of c whose round trips are counted.
func counted(c *vim25.Client) (*vim25.Client, *countingRoundTripper) {
	rt := &countingRoundTripper{next: c.RoundTripper}
	cc := *c
	cc.RoundTripper = rt
	return &cc, rt
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// silentAddr returns a loopback address that accepts connections and never answers.
func silentAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
