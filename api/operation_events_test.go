package api_test

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/metrics"
)

// TestEventStreamKeepsAliveAndResumes follows an operation that waits (no workflow moves
// it): a quiet stream gets a keep-alive comment at the configured interval; a stream
// resumed after event n starts with event n+1; a bad Last-Event-ID is 400 naming it;
// the stream ends, with "end", when the operation does.
func TestEventStreamKeepsAliveAndResumes(t *testing.T) {
	env := apptest.Start(t)
	ctx := context.Background()
	op, err := env.App.Store.CreateOperation(ctx, domain.Operation{Kind: domain.OpSyncInventory,
		Target: domain.Target{Kind: "vcenter", Name: "quiet"}, Actor: "admin", WorkflowID: "vcenter/quiet"})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.StartStep(ctx, op.ID, "collect-inventory", 1, ""); err != nil {
		t.Fatal(err)
	}
	a := api.New(api.Config{Store: env.App.Store, Operations: env.App.Operations(), Temporal: env.App.Temporal,
		Metrics: metrics.New(), Logger: slog.New(slog.DiscardHandler), EventKeepAlive: 300 * time.Millisecond})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	open := func(lastEventID string) (*http.Response, *bufio.Scanner) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/operations/"+op.ID+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+env.AdminToken)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, bufio.NewScanner(resp.Body)
	}
	resp, lines := open("")
	var got []string
	for len(got) < 6 && lines.Scan() {
		if l := lines.Text(); l != "" {
			got = append(got, l)
		}
	}
	resp.Body.Close()
	want := []string{"id: 1", "event: operation", "", "id: 2", "event: step", ""}
	for i, prefix := range want {
		if prefix != "" && got[i] != prefix {
			t.Fatalf("stream starts %q, want %q", got, want)
		}
	}
	if !strings.HasPrefix(got[5], "data: ") || !strings.Contains(got[5], `"index":0`) || !strings.Contains(got[5], `"collect-inventory"`) {
		t.Errorf("step event data = %s", got[5])
	}
	if !strings.HasPrefix(got[2], "data: ") || !strings.Contains(got[2], `"state":"Pending"`) || strings.Contains(got[2], `"steps"`) {
		t.Errorf("operation event data = %s; want the operation without its steps", got[2])
	}

	resp, lines = open("1")
	defer resp.Body.Close()
	start := time.Now()
	var first, keepAlive string
	for lines.Scan() {
		l := lines.Text()
		if first == "" && l != "" {
			first = l
		}
		if strings.HasPrefix(l, ":") {
			keepAlive = l
			break
		}
	}
	if first != "id: 2" {
		t.Errorf("resumed after event 1, the stream starts with %q", first)
	}
	if keepAlive != ": keep-alive" || time.Since(start) > 5*time.Second {
		t.Errorf("keep-alive comment %q after %s", keepAlive, time.Since(start))
	}
	if err := env.App.Store.FinishOperation(ctx, op.ID, domain.OpFailed, "abandoned by the test"); err != nil {
		t.Fatal(err)
	}
	var tail []string
	for lines.Scan() {
		tail = append(tail, lines.Text())
	}
	if s := strings.Join(tail, "\n"); !strings.Contains(s, "id: 3\nevent: operation") || !strings.HasSuffix(strings.TrimSpace(s), "event: end\ndata: {}") {
		t.Errorf("stream after the operation ended:\n%s", s)
	}

	r := env.Do("GET", "/api/v1/operations/"+op.ID+"/events?last_event_id=x", env.AdminToken, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "last_event_id") {
		t.Errorf("bad last_event_id = %d %s", r.Status, r.Body)
	}

	// Listing by time: this operation is in its own minute, and a bad time is 400 naming it.
	since := op.CreatedAt.Add(-time.Minute).UTC().Format(time.RFC3339)
	var listed struct{ Items []domain.Operation }
	r = env.Do("GET", "/api/v1/operations?state=Failed&since="+since, env.AdminToken, nil)
	r.JSON(t, &listed)
	if r.Status != http.StatusOK || len(listed.Items) != 1 || listed.Items[0].ID != op.ID {
		t.Errorf("operations since %s = %d %+v", since, r.Status, listed.Items)
	}
	r = env.Do("GET", "/api/v1/operations?until="+since, env.AdminToken, nil)
	r.JSON(t, &listed)
	if r.Status != http.StatusOK || len(listed.Items) != 0 {
		t.Errorf("operations until %s = %d %+v", since, r.Status, listed.Items)
	}
	r = env.Do("GET", "/api/v1/operations?since=yesterday", env.AdminToken, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"since"`) {
		t.Errorf("since=yesterday = %d %s", r.Status, r.Body)
	}
}
