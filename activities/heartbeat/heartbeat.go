// Package heartbeat keeps a long activity's heartbeat going while it waits on something
// that cannot report progress itself (a slow vCenter call, a node booting). Temporal then
// notices a dead worker within the heartbeat timeout instead of the whole start-to-close
// timeout, and delivers cancellation to the activity while it waits.
package heartbeat

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// Every records a heartbeat every interval until the returned stop function is called.
// Outside an activity (a plain test call) it does nothing.
func Every(ctx context.Context, interval time.Duration) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
