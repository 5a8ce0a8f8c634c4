package vsphere

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/sim"
)

func TestTaskBudgetDefaults(t *testing.T) {
	if got := NewTaskBudget(0).Limit(); got != DefaultTaskLimit {
		t.Errorf("limit %d, want %d", got, DefaultTaskLimit)
	}
	if got := NewTaskBudget(-3).Limit(); got != DefaultTaskLimit {
		t.Errorf("limit %d, want %d", got, DefaultTaskLimit)
	}
	var zero TaskBudget
	if release, err := zero.Acquire(context.Background(), "vc1"); err != nil || zero.Limit() != DefaultTaskLimit {
		t.Errorf("zero TaskBudget: %v, limit %d", err, zero.Limit())
	} else {
		release()
	}
	if processBudget() != processBudget() {
		t.Error("the process budget is not shared")
	}
	if (&VMOps{}).budget() != (&VMOps{}).budget() {
		t.Error("VMOps without a budget do not share the process budget")
	}
}

// waitFor polls cond (a test helper; the budget itself never polls).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTaskBudgetIsFIFOAndPerKey(t *testing.T) {
	b := NewTaskBudget(1)
	ctx := context.Background()
	release, err := b.Acquire(ctx, "vc1")
	if err != nil {
		t.Fatal(err)
	}
	// Another vCenter has its own slots.
	other, err := b.Acquire(ctx, "vc2")
	if err != nil {
		t.Fatal(err)
	}
	other()

	order := make(chan int, 5)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			r, err := b.Acquire(ctx, "vc1")
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			r()
		})
		waitFor(t, fmt.Sprintf("waiter %d queued", i), func() bool { return b.Waiting("vc1") == i+1 })
	}
	release()
	release() // a second call is harmless
	wg.Wait()
	close(order)
	want := 0
	for got := range order {
		if got != want {
			t.Fatalf("slot %d went to waiter %d: not first come, first served", want, got)
		}
		want++
	}
	if b.InUse("vc1") != 0 || b.Waiting("vc1") != 0 || b.MaxInUse("vc1") != 1 {
		t.Errorf("in use %d, waiting %d, max %d", b.InUse("vc1"), b.Waiting("vc1"), b.MaxInUse("vc1"))
	}
}

func TestTaskBudgetAcquireHonoursContext(t *testing.T) {
	b := NewTaskBudget(1)
	release, err := b.Acquire(context.Background(), "vc1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := b.Acquire(ctx, "vc1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire with a full budget: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if b.Waiting("vc1") != 0 {
		t.Error("a cancelled waiter stayed queued")
	}
	release()
	// The slot given back is free again, not lost to the cancelled waiter.
	r, err := b.Acquire(context.Background(), "vc1")
	if err != nil {
		t.Fatal(err)
	}
	r()
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := b.Acquire(cancelled, "vc1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context: %v", err)
	}
}

func TestTaskBudgetHandoverRace(t *testing.T) {
	// Waiters whose context ends while slots are handed over must neither
	// lose nor duplicate a slot.
	b := NewTaskBudget(2)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*time.Millisecond)
			defer cancel()
			if r, err := b.Acquire(ctx, "vc1"); err == nil {
				if n := b.InUse("vc1"); n > 2 {
					t.Errorf("%d slots in use", n)
				}
				time.Sleep(time.Millisecond)
				r()
			}
		})
	}
	wg.Wait()
	if b.InUse("vc1") != 0 || b.Waiting("vc1") != 0 || b.MaxInUse("vc1") > 2 {
		t.Errorf("in use %d, waiting %d, max %d", b.InUse("vc1"), b.Waiting("vc1"), b.MaxInUse("vc1"))
	}
}

func TestTaskBudgetBoundsConcurrentEnsureVM(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	env.ops.Budget = NewTaskBudget(3)
	key := budgetKey(env.c)

	const n = 20
	infos := make([]VMInfo, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := request(fmt.Sprintf("dev-w-%d", i))
			infos[i], _, errs[i] = env.ops.EnsureVM(context.Background(), env.c, req)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("EnsureVM %d: %v", i, err)
		}
	}
	if got := env.ops.Budget.MaxInUse(key); got < 1 || got > 3 {
		t.Errorf("%d tasks in flight at most, want 1 to 3", got)
	}
	t.Logf("max in flight: %d", env.ops.Budget.MaxInUse(key))
	if env.ops.Budget.InUse(key) != 0 || env.ops.Budget.Waiting(key) != 0 {
		t.Errorf("slots left: %d in use, %d waiting", env.ops.Budget.InUse(key), env.ops.Budget.Waiting(key))
	}
	seen := map[string]bool{}
	for i, info := range infos {
		if seen[info.Moref] || env.countNamed(fmt.Sprintf("dev-w-%d", i)) != 1 {
			t.Errorf("VM %d: %+v", i, info)
		}
		seen[info.Moref] = true
	}
	if got := env.faults.Calls(sim.KindVSphereClone); got != n {
		t.Errorf("%d clones, want %d", got, n)
	}
}
