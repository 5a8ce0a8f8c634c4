package vsphere

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"
)

// busyPolicy is how long to back off when vCenter says it is busy: delays
// grow from initial by doubling up to maxDelay, each with jitter, for at most
// attempts calls in all. What remains busy after that is left to the
// activity's retry policy.
type busyPolicy struct {
	initial  time.Duration
	maxDelay time.Duration
	attempts int
}

// defaultBusy retries for about half a minute at most.
var defaultBusy = busyPolicy{initial: 500 * time.Millisecond, maxDelay: 8 * time.Second, attempts: 6}

// retryBusy calls fn until it succeeds, fails for another reason than a busy
// vCenter (see isBusy), the attempts run out or ctx ends. It sleeps between
// attempts and returns the last error of fn (wrapping ctx.Err() as well if
// ctx ended while it waited).
func retryBusy(ctx context.Context, fn func(context.Context) error) error {
	return defaultBusy.retry(ctx, fn)
}

func (p busyPolicy) retry(ctx context.Context, fn func(context.Context) error) error {
	delay := p.initial
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !isBusy(err) || attempt >= p.attempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(jitter(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, p.maxDelay)
	}
}

// jitter returns a random duration in [d/2, d), so that callers that were
// refused together do not come back together.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

// isBusy reports whether err says that vCenter refused or failed a call
// because it (or the object) is busy right now, so that the same call may
// succeed a little later: a TaskInProgress fault (another task holds the
// VM), an HTTP 503 or 429 from the SDK endpoint, or a "server busy" answer.
func isBusy(err error) bool {
	if err == nil {
		return false
	}
	if fault.Is(err, &types.TaskInProgress{}) {
		return true
	}
	switch httpStatus(err) {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "server busy") || strings.Contains(msg, "server is busy")
}

// httpStatus returns the HTTP status of a SOAP call that the server answered
// with neither 200 nor a SOAP fault, or 0. govmomi reports those as a
// *url.Error around an unexported error whose message is the status line
// ("503 Service Unavailable").
func httpStatus(err error) int {
	var uerr *url.Error
	if !errors.As(err, &uerr) || uerr.Err == nil {
		return 0
	}
	code, _, _ := strings.Cut(uerr.Err.Error(), " ")
	n, convErr := strconv.Atoi(code)
	if convErr != nil || n < 100 || n > 599 {
		return 0
	}
	return n
}
