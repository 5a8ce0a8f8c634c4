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
	return EveryWith(ctx, interval, nil)
}

// EveryWith is Every with details: each heartbeat records what details returns (the
// activity's latest progress; nil records none), so that a progress the activity
// reported stays visible between its reports. details must be safe for concurrent use.
func EveryWith(ctx context.Context, interval time.Duration, details func() any) (stop func()) {
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
				if d := detailsOf(details); d != nil {
					activity.RecordHeartbeat(ctx, d)
				} else {
					activity.RecordHeartbeat(ctx)
				}
			}
		}
	}()
	return func() { close(done) }
}

// detailsOf calls details, if set.
func detailsOf(details func() any) any {
	if details == nil {
		return nil
	}
	return details()
}
