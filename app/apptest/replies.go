package apptest

import "sync"

// Reply is one API reply as a test's Env.Do received it.
type Reply struct {
	Method, Path string
	Status       int
	Body         []byte
}

// replyLog keeps every reply Env.Do received, for tests that look for what the API
// must never say (e.g. a secret).
type replyLog struct {
	mu      sync.Mutex
	replies []Reply
}

func (l *replyLog) add(r Reply) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.replies = append(l.replies, r)
}

// Replies returns every reply Do received so far, oldest first.
func (e *Env) Replies() []Reply {
	e.replies.mu.Lock()
	defer e.replies.mu.Unlock()
	return append([]Reply(nil), e.replies.replies...)
}
