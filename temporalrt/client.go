package temporalrt

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
)

// DefaultDialTimeout bounds Dial when its context has no deadline.
const DefaultDialTimeout = 30 * time.Second

const (
	dialFirstBackoff = 100 * time.Millisecond
	dialMaxBackoff   = 2 * time.Second
)

// Dial connects to the frontend named by opts.HostPort, retrying while it is
// unavailable (a server that was just started takes a moment to answer) until
// ctx ends, or DefaultDialTimeout passes when ctx has no deadline. Errors that
// retrying cannot fix, such as invalid options or a refused identity, are
// returned at once.
func Dial(ctx context.Context, opts client.Options) (client.Client, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultDialTimeout)
		defer cancel()
	}
	addr := opts.HostPort
	if addr == "" {
		addr = client.DefaultHostPort
	}

	start := time.Now()
	backoff := dialFirstBackoff
	for attempt := 1; ; attempt++ {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if !retryableDialError(err) {
			return nil, fmt.Errorf("temporalrt: connect to Temporal frontend at %s: %w", addr, err)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("temporalrt: Temporal frontend at %s did not answer after %d attempts in %s: %w",
				addr, attempt, time.Since(start).Round(time.Millisecond), err)
		case <-timer.C:
		}
		backoff = min(2*backoff, dialMaxBackoff)
	}
}

// retryableDialError reports whether err means the frontend is not (yet) reachable.
func retryableDialError(err error) bool {
	switch serviceerror.ToStatus(err).Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}
