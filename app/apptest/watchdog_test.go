package apptest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWatchdogReport checks that the report names a tracked test and shows the stack of
// this test's goroutine (Clusterwright code), but not goroutines outside that code (an
// HTTP server's accept loop).
func TestWatchdogReport(t *testing.T) {
	track(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, err := http.Get(srv.URL); err != nil { // the accept loop is running now
		t.Fatal(err)
	}
	report := watchdogReport(20 * time.Minute)
	for _, want := range []string{"TestWatchdogReport (for ", "watchdog_test.go", "20m0s timeout"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "net/http.(*Server).Serve") {
		t.Errorf("report keeps goroutines outside Clusterwright's code:\n%s", report)
	}
}
