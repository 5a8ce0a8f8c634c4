package inventory_test

import (
	"context"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	for _, a := range []string{"vcenter.create", "vcenter.sync", "ippool.create"} {
		if err := s.AppendAudit(ctx, domain.AuditEvent{Actor: "alice", Action: a, Target: "x", Outcome: domain.OutcomeSuccess, Status: 202}); err != nil {
			t.Fatal(err)
		}
	}
	events, next, err := s.ListAudit(ctx, inventory.AuditFilter{}, inventory.Page{Limit: 2})
	if err != nil || len(events) != 2 || next == "" || events[0].Action != "ippool.create" {
		t.Fatalf("first page = %+v, %q, %v", events, next, err)
	}
	rest, next, err := s.ListAudit(ctx, inventory.AuditFilter{}, inventory.Page{Limit: 2, Cursor: next})
	if err != nil || len(rest) != 1 || next != "" || rest[0].Action != "vcenter.create" {
		t.Fatalf("second page = %+v, %q, %v", rest, next, err)
	}
	for _, stmt := range []string{`UPDATE audit_events SET actor = 'mallory'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`} {
		if _, err := s.Pool().Exec(ctx, stmt); err == nil {
			t.Errorf("%s succeeded on the append-only audit log", stmt)
		}
	}
}
