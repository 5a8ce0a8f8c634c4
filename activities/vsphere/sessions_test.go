package vsphere

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

func TestSessionsConcurrentFirstCallsLogInOnce(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	s := newTestSessions(t)
	ctx := context.Background()

	const n = 32
	clients := make([]*govmomi.Client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { clients[i], errs[i] = s.Client(ctx, "vc1", vc.Credentials()) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if clients[i] != clients[0] {
			t.Fatalf("call %d got another client", i)
		}
	}
	if got := s.Logins(); got != 1 {
		t.Fatalf("%d logins for %d concurrent calls, want 1", got, n)
	}

	// The shared client works for concurrent users.
	for range 8 {
		wg.Go(func() {
			if _, err := CollectInventory(ctx, clients[0].Client); err != nil {
				t.Errorf("CollectInventory: %v", err)
			}
		})
	}
	wg.Wait()
	if _, err := s.Client(ctx, "vc2", vc.Credentials()); err != nil {
		t.Fatal(err)
	}
	if got := s.Logins(); got != 2 {
		t.Fatalf("%d logins after a second key, want 2", got)
	}
}

// adminClient logs in to vc outside the pool.
func adminClient(t *testing.T, vc *sim.VCenter) *govmomi.Client {
	t.Helper()
	ctx := context.Background()
	u := vc.URL()
	u.User = url.UserPassword(vc.Username, vc.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

func TestSessionsReloginAfterTermination(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	s := newTestSessions(t)
	ctx := context.Background()

	c, err := s.Client(ctx, "vc1", vc.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	us, err := c.SessionManager.UserSession(ctx)
	if err != nil || us == nil {
		t.Fatalf("user session: %v, %v", us, err)
	}
	if err := adminClient(t, vc).SessionManager.TerminateSession(ctx, []string{us.Key}); err != nil {
		t.Fatalf("terminate session: %v", err)
	}

	c2, err := s.Client(ctx, "vc1", vc.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	if c2 != c {
		t.Fatal("pool replaced the client instead of renewing its session")
	}
	// Concurrent calls that all find the session gone log in once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := CollectInventory(ctx, c2.Client); err != nil {
				t.Errorf("CollectInventory after termination: %v", err)
			}
		})
	}
	wg.Wait()
	if got := s.Logins(); got != 2 {
		t.Fatalf("%d logins, want 2 (one re-login)", got)
	}
	us2, err := c2.SessionManager.UserSession(ctx)
	if err != nil || us2 == nil || us2.Key == us.Key {
		t.Fatalf("session after re-login: %+v, %v", us2, err)
	}
}

func TestSessionsReloginAfterLogout(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	s := newTestSessions(t)
	ctx := context.Background()

	c, err := s.Client(ctx, "vc1", vc.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SessionManager.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := CollectInventory(ctx, c.Client); err != nil {
		t.Fatalf("CollectInventory after logout: %v", err)
	}
	if got := s.Logins(); got != 2 {
		t.Fatalf("%d logins, want 2", got)
	}
}

func TestSessionsCredentialChangeReplacesSession(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	s := newTestSessions(t)
	ctx := context.Background()

	pinned := vc.Credentials()
	old, err := s.Client(ctx, "vc1", pinned)
	if err != nil {
		t.Fatal(err)
	}
	insecure := pinned
	insecure.Thumbprint, insecure.Insecure = "", true
	c, err := s.Client(ctx, "vc1", insecure)
	if err != nil {
		t.Fatal(err)
	}
	if c == old || s.Logins() != 2 {
		t.Fatalf("changed credentials: same client %v, %d logins; want a new client, 2 logins", c == old, s.Logins())
	}
	if _, err := CollectInventory(ctx, old.Client); err == nil {
		t.Error("the replaced client still works; want it logged out")
	}
	if s.Logins() != 2 {
		t.Errorf("the replaced client logged in again")
	}

	wrong := insecure
	wrong.Password = "not-" + testPassword
	_, err = s.Client(ctx, "vc1", wrong)
	if !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v, want ErrBadCredentials", err)
	}
	for _, secret := range []string{testPassword, wrong.Password} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error contains the password: %v", err)
		}
	}
	// The good session is kept for callers that still have the right credentials.
	if again, err := s.Client(ctx, "vc1", insecure); err != nil || again != c {
		t.Fatalf("after a failed login: %v (same client %v)", err, again == c)
	}
}

func TestSessionsClose(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	s := newTestSessions(t)
	ctx := context.Background()

	c, err := s.Client(ctx, "vc1", vc.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if _, err := CollectInventory(ctx, c.Client); err == nil {
		t.Error("client works after Close; want it logged out")
	}
	if _, err := s.Client(ctx, "vc1", vc.Credentials()); !errors.Is(err, ErrClosed) {
		t.Errorf("Client after Close: %v, want ErrClosed", err)
	}
}

func TestSessionsWaitHonorsContext(t *testing.T) {
	s := newTestSessions(t)
	e, err := s.entry("vc1")
	if err != nil {
		t.Fatal(err)
	}
	e.lock <- struct{}{} // another caller is logging in and hangs
	defer func() { <-e.lock }()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = s.Client(ctx, "vc1", domain.VCenterCredentials{Server: "vc.invalid", Password: testPassword})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Client while another login hangs: %v, want a deadline error", err)
	}
}

func BenchmarkSessionsClient(b *testing.B) {
	vc := startVCenter(b, sim.VCenterOptions{})
	s := newTestSessions(b)
	ctx := context.Background()
	creds := vc.Credentials()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Client(ctx, "vc1", creds); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(s.Logins()), "logins")
}
