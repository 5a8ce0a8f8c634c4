package vsphere

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/session"

	"github.com/clusterwright/clusterwright/domain"
)

// Sessions is the worker process's pool of vCenter sessions: one logged-in
// client per vCenter key, shared by every activity and goroutine. A session
// that vCenter expires or terminates is logged in again on the next call that
// fails with NotAuthenticated, and that call is retried once. Sessions is safe
// for concurrent use.
type Sessions struct {
	logger *slog.Logger
	secret []byte // random key for credential fingerprints

	mu      sync.Mutex
	entries map[string]*entry
	closed  bool

	logins      atomic.Int64
	loginsByKey sync.Map // vCenter key -> *atomic.Int64; see countLogin
}

// entry is the pooled session of one vCenter key.
type entry struct {
	lock chan struct{} // one token: held while the session is created or replaced

	client      *govmomi.Client
	renewer     *relogin
	fingerprint [sha256.Size]byte
}

// NewSessions returns an empty pool that logs to logger (slog.Default() if nil).
func NewSessions(logger *slog.Logger) *Sessions {
	if logger == nil {
		logger = slog.Default()
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails
	return &Sessions{logger: logger, secret: secret, entries: make(map[string]*entry)}
}

// Client returns the logged-in client of the vCenter known by key, logging in
// with creds when there is no session yet or when creds differ from those of
// the existing session. Concurrent first calls for one key log in once. The
// client is shared: callers must not log it out. When the credentials of a key
// change, the previous session is logged out once the new login succeeds, and
// calls still using the previous client fail. Errors wrap the classes of
// CheckCredentials and never contain the password.
func (s *Sessions) Client(ctx context.Context, key string, creds domain.VCenterCredentials) (*govmomi.Client, error) {
	e, err := s.entry(key)
	if err != nil {
		return nil, err
	}
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for vCenter session %s: %w", key, ctx.Err())
	}
	defer func() { <-e.lock }()

	fp := s.fingerprint(creds)
	if e.client != nil && e.fingerprint == fp {
		return e.client, nil
	}
	c, rl, err := s.login(ctx, key, creds)
	if err != nil {
		return nil, redact(err, creds.Password)
	}
	if e.client != nil {
		s.logger.InfoContext(ctx, "vCenter credentials changed; replaced the session", "vcenter", key)
		s.retire(ctx, key, e)
	}
	e.client, e.renewer, e.fingerprint = c, rl, fp
	return e.client, nil
}

// Logins returns how many logins the pool has performed: first logins,
// logins after a change of credentials and re-logins after expiry, failed
// attempts included.
func (s *Sessions) Logins() int64 { return s.logins.Load() }

// Close logs out every session. The pool cannot be used afterwards.
func (s *Sessions) Close(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	entries := s.entries
	s.entries = map[string]*entry{}
	s.mu.Unlock()

	for key, e := range entries {
		select {
		case e.lock <- struct{}{}:
		case <-ctx.Done():
			s.logger.WarnContext(ctx, "vCenter session not logged out", "vcenter", key, "error", ctx.Err())
			continue
		}
		if e.client != nil {
			s.retire(ctx, key, e)
			e.client, e.renewer = nil, nil
		}
		<-e.lock
	}
}

func (s *Sessions) entry(key string) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	e, ok := s.entries[key]
	if !ok {
		e = &entry{lock: make(chan struct{}, 1)}
		s.entries[key] = e
	}
	return e, nil
}

// login connects and logs in to the vCenter of creds, with a client whose
// round trips re-login on NotAuthenticated.
func (s *Sessions) login(ctx context.Context, key string, creds domain.VCenterCredentials) (*govmomi.Client, *relogin, error) {
	lctx, cancel := withDefaultTimeout(ctx)
	defer cancel()

	vc, err := dial(lctx, creds)
	if err != nil {
		return nil, nil, err
	}
	sm := session.NewManager(vc)
	user := userinfo(creds)
	host := vc.URL().Host
	login := func(ctx context.Context) error {
		s.countLogin(key)
		if err := sm.Login(ctx, user); err != nil {
			return fmt.Errorf("log in to %s as %q: %w", host, creds.Username, classify(err))
		}
		return nil
	}
	if err := login(lctx); err != nil {
		vc.CloseIdleConnections()
		return nil, nil, err
	}
	s.logger.InfoContext(ctx, "logged in to vCenter", "vcenter", key, "server", host, "user", creds.Username)

	rl := newRelogin(vc.RoundTripper, func(ctx context.Context) error {
		if err := login(ctx); err != nil {
			s.logger.WarnContext(ctx, "vCenter session expired; logging in again failed", "vcenter", key, "error", redact(err, creds.Password))
			return err
		}
		s.logger.InfoContext(ctx, "vCenter session expired; logged in again", "vcenter", key)
		return nil
	})
	vc.RoundTripper = rl
	return &govmomi.Client{Client: vc, SessionManager: sm}, rl, nil
}

// retire stops e's session from logging in again and logs it out.
func (s *Sessions) retire(ctx context.Context, key string, e *entry) {
	e.renewer.close()
	if err := e.client.Logout(ctx); err != nil {
		s.logger.DebugContext(ctx, "vCenter logout failed", "vcenter", key, "error", err)
	}
}

// fingerprint identifies creds without keeping a usable hash of the password.
func (s *Sessions) fingerprint(creds domain.VCenterCredentials) [sha256.Size]byte {
	h := hmac.New(sha256.New, s.secret)
	for _, f := range []string{creds.Server, creds.Username, creds.Password, strconv.FormatBool(creds.Insecure), creds.Thumbprint} {
		writeField(h, f)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// writeField writes f length-prefixed, so that field boundaries cannot shift.
func writeField(h hash.Hash, f string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(f)))
	h.Write(n[:])
	h.Write([]byte(f))
}
