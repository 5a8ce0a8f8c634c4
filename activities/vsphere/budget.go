package vsphere

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// DefaultTaskLimit is the number of concurrent vCenter tasks a TaskBudget
// allows per vCenter when it is given no positive limit.
const DefaultTaskLimit = 8

// TaskBudget bounds the number of vCenter tasks (clone, power, reconfigure,
// destroy, upgrade) that a worker process runs at once against each vCenter,
// whatever activity starts them: vCenter queues what it cannot run, and a
// provision of many nodes must not crowd out everything else there.
//
// Slots are granted per key in the order they were asked for. A waiting
// caller blocks on a channel (no polling) and gives up when its context ends.
// A TaskBudget is safe for concurrent use; its zero value allows
// DefaultTaskLimit tasks per key.
type TaskBudget struct {
	limit int

	mu   sync.Mutex
	keys map[string]*budgetSlots
}

// budgetSlots is the state of one key, guarded by TaskBudget.mu.
type budgetSlots struct {
	inUse   int
	maxUse  int
	waiters list.List // of chan struct{}, closed when the slot is handed over
}

// NewTaskBudget returns a budget of limit concurrent tasks per vCenter
// (DefaultTaskLimit when limit ≤ 0).
func NewTaskBudget(limit int) *TaskBudget {
	if limit <= 0 {
		limit = DefaultTaskLimit
	}
	return &TaskBudget{limit: limit, keys: make(map[string]*budgetSlots)}
}

// processBudget is the budget used when none is configured, so that every
// activity of the process shares one.
var processBudget = sync.OnceValue(func() *TaskBudget { return NewTaskBudget(DefaultTaskLimit) })

// Limit returns the number of concurrent tasks allowed per key.
func (b *TaskBudget) Limit() int {
	if b.limit <= 0 {
		return DefaultTaskLimit
	}
	return b.limit
}

// Acquire waits for a task slot of the vCenter known by key and returns the
// function that gives it back; calling release more than once is harmless.
// It fails, holding nothing, with an error wrapping ctx.Err() when ctx ends
// first.
func (b *TaskBudget) Acquire(ctx context.Context, key string) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wait for a task slot of vCenter %s: %w", key, err)
	}
	b.mu.Lock()
	s := b.slots(key)
	if s.inUse < b.Limit() && s.waiters.Len() == 0 {
		s.take()
		b.mu.Unlock()
		return b.releaser(s), nil
	}
	ready := make(chan struct{})
	elem := s.waiters.PushBack(ready)
	b.mu.Unlock()

	select {
	case <-ready:
		return b.releaser(s), nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-ready:
			// The slot was handed over while ctx ended: pass it on.
			b.mu.Unlock()
			b.release(s)
		default:
			s.waiters.Remove(elem)
			b.mu.Unlock()
		}
		return nil, fmt.Errorf("wait for a task slot of vCenter %s: %w", key, ctx.Err())
	}
}

// InUse returns the number of slots of key held now.
func (b *TaskBudget) InUse(key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.keys[key]; ok {
		return s.inUse
	}
	return 0
}

// Waiting returns the number of callers waiting for a slot of key.
func (b *TaskBudget) Waiting(key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.keys[key]; ok {
		return s.waiters.Len()
	}
	return 0
}

// MaxInUse returns the largest number of slots of key ever held at once.
func (b *TaskBudget) MaxInUse(key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.keys[key]; ok {
		return s.maxUse
	}
	return 0
}

// slots returns the state of key, creating it; the caller holds b.mu. Keys
// are vCenters, so the map stays small and entries are kept for MaxInUse.
func (b *TaskBudget) slots(key string) *budgetSlots {
	if b.keys == nil {
		b.keys = make(map[string]*budgetSlots)
	}
	s, ok := b.keys[key]
	if !ok {
		s = &budgetSlots{}
		b.keys[key] = s
	}
	return s
}

func (s *budgetSlots) take() {
	s.inUse++
	s.maxUse = max(s.maxUse, s.inUse)
}

func (b *TaskBudget) releaser(s *budgetSlots) func() {
	var once sync.Once
	return func() { once.Do(func() { b.release(s) }) }
}

// release hands the slot to the first waiter, or frees it.
func (b *TaskBudget) release(s *budgetSlots) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if front := s.waiters.Front(); front != nil {
		s.waiters.Remove(front)
		close(front.Value.(chan struct{}))
		return
	}
	s.inUse--
}
