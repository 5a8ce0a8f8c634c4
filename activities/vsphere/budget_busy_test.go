package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// fastBusy keeps the tests quick.
var fastBusy = busyPolicy{initial: time.Millisecond, maxDelay: 4 * time.Millisecond, attempts: 4}

// taskInProgress is the error task.Wait returns for a task that failed
// because another task holds its object.
func taskInProgress() error {
	return fmt.Errorf("reconfigure VM x: %w", task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{
		Fault: &types.TaskInProgress{}, LocalizedMessage: "Another task is already in progress.",
	}})
}

func TestRetryBusyRetriesTaskInProgress(t *testing.T) {
	calls := 0
	err := fastBusy.retry(context.Background(), func(context.Context) error {
		calls++
		if calls < 3 {
			return taskInProgress()
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("retry: %v after %d calls, want success after 3", err, calls)
	}

	// Not busy: returned at once.
	calls = 0
	notBusy := errors.New("no such datastore")
	if err := fastBusy.retry(context.Background(), func(context.Context) error { calls++; return notBusy }); !errors.Is(err, notBusy) || calls != 1 {
		t.Errorf("retry of a non-busy error: %v after %d calls", err, calls)
	}

	// Busy for good: gives up after the attempts, with the last error.
	calls = 0
	err = fastBusy.retry(context.Background(), func(context.Context) error { calls++; return taskInProgress() })
	if !isBusy(err) || calls != fastBusy.attempts {
		t.Errorf("retry of a busy error: %v after %d calls, want %d", err, calls, fastBusy.attempts)
	}
}

func TestRetryBusyHonoursContext(t *testing.T) {
	slow := busyPolicy{initial: time.Hour, maxDelay: time.Hour, attempts: 10}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := slow.retry(ctx, func(context.Context) error { return taskInProgress() })
	if !errors.Is(err, context.DeadlineExceeded) || !isBusy(err) {
		t.Errorf("retry with an ending context: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v", d)
	}
}

func TestJitter(t *testing.T) {
	for range 100 {
		if d := jitter(100 * time.Millisecond); d < 50*time.Millisecond || d >= 100*time.Millisecond {
			t.Fatalf("jitter(100ms) = %v", d)
		}
	}
}

// TestIsBusyHTTPStatus sends SOAP calls to a server that answers 503 or 429
// and checks that govmomi's errors for them are recognized as busy.
func TestIsBusyHTTPStatus(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusForbidden} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "busy", status)
		}))
		u, _ := url.Parse(srv.URL + "/sdk")
		sc := soap.NewClient(u, true)
		_, err := methods.GetCurrentTime(context.Background(), sc)
		srv.Close()
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		want := status != http.StatusForbidden
		if got := isBusy(err); got != want {
			t.Errorf("status %d: isBusy(%v) = %v, want %v", status, err, got, want)
		}
	}
	if !isBusy(errors.New("ServerFaultCode: The server is busy, try again later")) {
		t.Error(`"server is busy" not recognized`)
	}
	if isBusy(errors.New("InvalidLogin")) || isBusy(nil) {
		t.Error("isBusy of other errors")
	}
}
