package addons

import (
	"context"
	"sync"
)

// keyedLocks serialises operations on the same release within a process.
// The zero value is ready to use. One small channel per release ever
// touched is kept: a worker manages a bounded number of releases (a few per
// cluster).
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// lock waits until key is free or ctx ends, and returns the unlock function.
func (l *keyedLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]chan struct{}{}
	}
	ch, ok := l.locks[key]
	if !ok {
		ch = make(chan struct{}, 1)
		l.locks[key] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
