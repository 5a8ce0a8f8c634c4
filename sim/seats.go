package sim

import (
	"context"
	"sync"

	"github.com/clusterwright/clusterwright/sim/node"
)

// seats keeps two nodes from running on one host name or one address at once.
//
// vCenter reports a VM off or destroyed as soon as it is, while the VM's node takes a
// moment more to stop its processes, which listen on the node's address and write under
// its host name's root directory. A VM made right after, with the same name or a
// released address handed out again (create, delete, create again), must not find them
// still there: its node boots once the node before it has stopped.
type seats struct {
	mu    sync.Mutex
	taken map[string]*seat // by seatKeys
}

// seat is a host name or an address held by a node.
type seat struct {
	by   *node.Node
	free chan struct{} // closed when released
}

// seatKeys are what a node holds while it runs.
func seatKeys(n *node.Node) []string {
	return []string{"host name " + n.Hostname(), "address " + n.IP().String()}
}

// take waits until no other node holds n's host name or address, then holds both for
// n; it fails only when ctx is done. waiting, if set, is called with the node waited
// for before the first wait.
func (s *seats) take(ctx context.Context, n *node.Node, waiting func(holder *node.Node)) error {
	keys := seatKeys(n)
	for first := true; ; first = false {
		s.mu.Lock()
		var holder *seat
		for _, k := range keys {
			if st, ok := s.taken[k]; ok && st.by != n {
				holder = st
				break
			}
		}
		if holder == nil {
			if s.taken == nil {
				s.taken = map[string]*seat{}
			}
			for _, k := range keys {
				if _, ok := s.taken[k]; !ok {
					s.taken[k] = &seat{by: n, free: make(chan struct{})}
				}
			}
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		if first && waiting != nil {
			waiting(holder.by)
		}
		select {
		case <-holder.free:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release frees what n holds; n's processes must have stopped.
func (s *seats) release(n *node.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range seatKeys(n) {
		if st, ok := s.taken[k]; ok && st.by == n {
			close(st.free)
			delete(s.taken, k)
		}
	}
}
