package vsphere

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// relogin is a soap.RoundTripper that keeps a pooled session alive: when
// vCenter answers a call with NotAuthenticated (the session expired or was
// terminated), it logs in again and retries the call once. Concurrent calls
// that fail together cause a single login.
type relogin struct {
	next  soap.RoundTripper
	login func(context.Context) error

	gen    atomic.Uint64 // incremented after each successful re-login
	mu     sync.Mutex    // serializes re-logins
	closed bool          // guarded by mu; no more re-logins once set
}

func newRelogin(next soap.RoundTripper, login func(context.Context) error) *relogin {
	return &relogin{next: next, login: login}
}

// RoundTrip implements soap.RoundTripper.
func (r *relogin) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	gen := r.gen.Load()
	err := r.next.RoundTrip(ctx, req, res)
	if err == nil || !fault.Is(err, &types.NotAuthenticated{}) || isSessionCall(req) {
		return err
	}
	if lerr := r.renew(ctx, gen); lerr != nil {
		return fmt.Errorf("vCenter session expired and logging in again failed: %w", lerr)
	}
	resetBody(res)
	return r.next.RoundTrip(ctx, req, res)
}

// renew logs in again unless another call already did so since generation seen.
func (r *relogin) renew(ctx context.Context, seen uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.gen.Load() != seen {
		return nil
	}
	if err := r.login(ctx); err != nil {
		return err
	}
	r.gen.Add(1)
	return nil
}

// close stops further re-logins; calls that find the session gone fail.
func (r *relogin) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

// isSessionCall reports whether req logs in or out, which must not trigger a re-login.
func isSessionCall(req soap.HasFault) bool {
	switch req.(type) {
	case *methods.LoginBody, *methods.LogoutBody, *methods.LoginByTokenBody,
		*methods.LoginExtensionByCertificateBody, *methods.SessionIsActiveBody:
		return true
	}
	return false
}

// resetBody zeroes a response body (a pointer to a generated *Body struct) so
// that the fault decoded into it by the failed attempt does not linger.
func resetBody(res soap.HasFault) {
	v := reflect.ValueOf(res)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().CanSet() {
		v.Elem().SetZero()
	}
}
