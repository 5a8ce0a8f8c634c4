package kubesphere

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
)

// pollInterval is how often the waits look again.
var pollInterval = time.Second

// errTimeout is returned by poll when the time is up; the caller types it.
var errTimeout = errors.New("timed out")

// poll calls check every pollInterval until it reports done, returns an
// error, or timeout passes (errTimeout, with the last progress) or ctx ends.
// It heartbeats the progress, so that the workflow sees what is awaited.
func poll(ctx context.Context, timeout time.Duration, check func(ctx context.Context) (done bool, progress string, err error)) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		done, progress, err := check(ctx)
		if err != nil || done {
			return progress, err
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, progress)
		}
		if time.Now().After(deadline) {
			return progress, errTimeout
		}
		select {
		case <-ctx.Done():
			return progress, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
