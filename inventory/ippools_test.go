package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestLeaseIPLowestFreeReuseAndExhaustion(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	in := domain.IPPoolInput{Name: "lab", CIDR: "10.1.0.0/24", RangeStart: "10.1.0.10", RangeEnd: "10.1.0.12", Gateway: "10.1.0.1", DNS: []string{"10.1.0.2"}}
	if _, err := s.CreateIPPool(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIPPool(ctx, in); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}
	lease := func(owner string) string {
		t.Helper()
		a, err := s.LeaseIP(ctx, "lab", "", owner)
		if err != nil {
			t.Fatalf("lease %s: %v", owner, err)
		}
		return a.String()
	}
	if a, b := lease("n1"), lease("n2"); a != "10.1.0.10" || b != "10.1.0.11" {
		t.Fatalf("leases = %s, %s; want the lowest addresses", a, b)
	}
	if again := lease("n1"); again != "10.1.0.10" {
		t.Fatalf("a repeated lease for the same owner got %s, want its first address", again)
	}
	if c := lease("n3"); c != "10.1.0.12" {
		t.Fatalf("third lease = %s", c)
	}
	if _, err := s.LeaseIP(ctx, "lab", "", "n4"); !errors.Is(err, domain.ErrExhausted) {
		t.Fatalf("lease from full pool = %v, want ErrExhausted", err)
	}
	if err := s.ReleaseIP(ctx, "lab", "n2"); err != nil {
		t.Fatal(err)
	}
	if d := lease("n4"); d != "10.1.0.11" {
		t.Fatalf("lease after release = %s, want the freed 10.1.0.11", d)
	}
	p, err := s.GetIPPool(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if p.Size != 3 || p.Free != 0 || len(p.Leases) != 3 || p.Gateway != "10.1.0.1" {
		t.Fatalf("pool = %+v", p)
	}
	if _, err := s.LeaseIP(ctx, "nope", "", "x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("lease from unknown pool = %v", err)
	}
}

// TestLeaseIPConcurrent allocates from many goroutines at once: every owner must get a
// distinct address and the pool must hand out exactly its size.
func TestLeaseIPConcurrent(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	const size, callers = 40, 60
	in := domain.IPPoolInput{Name: "race", CIDR: "10.2.0.0/24", RangeStart: "10.2.0.1", RangeEnd: fmt.Sprintf("10.2.0.%d", size)}
	if _, err := s.CreateIPPool(ctx, in); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]string{}
	exhausted := 0
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("node-%d", i)
			a, err := s.LeaseIP(ctx, "race", "", owner)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, domain.ErrExhausted):
				exhausted++
			case err != nil:
				t.Errorf("lease %s: %v", owner, err)
			default:
				if prev, dup := got[a.String()]; dup {
					t.Errorf("address %s leased twice: %s and %s", a, prev, owner)
				}
				got[a.String()] = owner
			}
		}()
	}
	wg.Wait()
	if len(got) != size || exhausted != callers-size {
		t.Fatalf("leased %d, exhausted %d; want %d and %d", len(got), exhausted, size, callers-size)
	}
}
