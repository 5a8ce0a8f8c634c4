package inventory_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestAuditIntentCompletedOnce writes an event before its call (pending) and completes
// it: the completion sets outcome, status, target and detail once; nothing else of an
// event changes, and a complete event changes no more.
func TestAuditIntentCompletedOnce(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	id, err := s.BeginAudit(ctx, domain.AuditEvent{Actor: "alice", Action: "ippool.create", RequestID: "r1",
		Outcome: domain.OutcomeSuccess, Status: 201}) // outcome and status are the completion's to set
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := s.ListAudit(ctx, inventory.AuditFilter{}, inventory.Page{})
	if err != nil || len(events) != 1 || events[0].ID != id || events[0].Outcome != domain.OutcomePending || events[0].Status != 0 {
		t.Fatalf("after BeginAudit: %+v, %v", events, err)
	}
	for _, stmt := range []string{`UPDATE audit_events SET actor = 'mallory', outcome = 'success'`,
		`UPDATE audit_events SET request_id = 'r2', outcome = 'success'`, `UPDATE audit_events SET status = 500`, `DELETE FROM audit_events`} {
		if _, err := s.Pool().Exec(ctx, stmt); err == nil {
			t.Errorf("%s succeeded on a pending event", stmt)
		}
	}
	if err := s.CompleteAudit(ctx, id, domain.OutcomeFailure, 409, "ippool/lab", "", json.RawMessage(`{"reason":"taken"}`)); err != nil {
		t.Fatal(err)
	}
	events, _, err = s.ListAudit(ctx, inventory.AuditFilter{Target: "ippool/lab"}, inventory.Page{})
	if err != nil || len(events) != 1 || events[0].Outcome != domain.OutcomeFailure || events[0].Status != 409 ||
		events[0].Actor != "alice" || string(events[0].Detail) != `{"reason": "taken"}` {
		t.Fatalf("after CompleteAudit: %+v, %v", events, err)
	}
	if err := s.CompleteAudit(ctx, id, domain.OutcomeSuccess, 201, "ippool/lab", "", nil); err == nil {
		t.Error("a complete event was completed again")
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE audit_events SET outcome = 'success'`); err == nil {
		t.Error("a complete event was changed")
	}
}

// TestAuditStoresUnstorableTextEscaped appends and completes events whose text holds NUL
// bytes and invalid UTF-8: they are stored escaped, and found by the escaped text.
func TestAuditStoresUnstorableTextEscaped(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	if err := s.AppendAudit(ctx, domain.AuditEvent{Actor: "al\x00ice", Action: "token.revoke", Target: "token/a\x00b",
		RequestID: "r\xff", Outcome: domain.OutcomeFailure, Status: 400,
		Detail: json.RawMessage(`{"fault":"x\u0000y","k\u0000":["\u0000"],"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	id, err := s.BeginAudit(ctx, domain.AuditEvent{Actor: "bob", Action: "cluster.delete", Target: "cluster/\xff\xfe", RequestID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	detail, _ := json.Marshal(map[string]string{"pool": "p\x00"})
	if err := s.CompleteAudit(ctx, id, domain.OutcomeFailure, 400, "cluster/ok\xc3(", "team\x00a", detail); err != nil {
		t.Fatal(err)
	}
	events, _, err := s.ListAudit(ctx, inventory.AuditFilter{Target: `token/a\x00b`}, inventory.Page{})
	if err != nil || len(events) != 1 {
		t.Fatalf("events of the escaped target: %+v, %v", events, err)
	}
	e := events[0]
	var d map[string]any
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if e.Actor != `al\x00ice` || e.RequestID != `r\xff` || d["fault"] != `x\x00y` || d[`k\x00`] == nil || d["n"] != 1.0 {
		t.Errorf("stored %+v with detail %v", e, d)
	}
	events, _, err = s.ListAudit(ctx, inventory.AuditFilter{Target: `cluster/ok\xc3(`}, inventory.Page{})
	if err != nil || len(events) != 1 || !strings.Contains(string(events[0].Detail), `p\\x00`) {
		t.Fatalf("completed event: %+v, %v", events, err)
	}
}
