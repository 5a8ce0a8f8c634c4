package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestOperationLifecycleAndBusy(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	op := domain.Operation{Kind: domain.OpSyncInventory, Target: domain.Target{Kind: "vcenter", Name: "vc1"}, Actor: "alice", WorkflowID: "vcenter/vc1"}
	first, err := s.CreateOperation(ctx, op)
	if err != nil || first.State != domain.OpPending {
		t.Fatalf("create = %+v, %v", first, err)
	}
	_, err = s.CreateOperation(ctx, op)
	var busy *domain.BusyError
	if !errors.As(err, &busy) || busy.Operation != first.ID || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second create = %v, want BusyError naming %s", err, first.ID)
	}
	if err := s.MarkOperationStarted(ctx, first.ID, "run-1"); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"connect", "collect"} {
		if err := s.StartStep(ctx, first.ID, step, 1, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordAttemptStart(ctx, first.ID, step, 1, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordAttemptEnd(ctx, first.ID, "collect", 1, 1, true, "refused"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttemptStart(ctx, first.ID, "collect", 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttemptStart(ctx, first.ID, "collect", 1, 1); err != nil { // a second activity of the step
		t.Fatal(err)
	}
	if err := s.FinishStep(ctx, first.ID, "connect", 1, domain.StepSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishStep(ctx, first.ID, "collect", 1, domain.StepFailed, "boom"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishOperation(ctx, first.ID, domain.OpFailed, "collect: boom"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOperation(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.OpFailed || got.RunID != "run-1" || len(got.Steps) != 2 ||
		got.Steps[0].Name != "connect" || got.Steps[1].Attempts != 2 || got.Steps[1].Error != "boom" || got.FinishedAt == nil {
		t.Fatalf("operation = %+v", got)
	}
	// Once finished, the target is free again.
	if _, err := s.CreateOperation(ctx, op); err != nil {
		t.Fatalf("create after finish: %v", err)
	}
	if _, err := s.GetOperation(ctx, "not-a-uuid"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("bad id = %v", err)
	}
}

func TestListOperationsPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	for i := range 7 {
		actor := "bob"
		if i%2 == 0 {
			actor = "alice"
		}
		op := domain.Operation{Kind: domain.OpSyncInventory, Target: domain.Target{Kind: "vcenter", Name: fmt.Sprint("vc", i)}, Actor: actor, WorkflowID: fmt.Sprint("wf", i)}
		if _, err := s.CreateOperation(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		ops, next, err := s.ListOperations(ctx, inventory.OperationFilter{}, inventory.Page{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range ops {
			if seen[o.ID] {
				t.Fatalf("operation %s on two pages", o.ID)
			}
			seen[o.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("saw %d operations on %d pages", len(seen), pages)
	}
	alice, _, err := s.ListOperations(ctx, inventory.OperationFilter{Actor: "alice"}, inventory.Page{})
	if err != nil || len(alice) != 4 {
		t.Fatalf("alice's = %d, %v", len(alice), err)
	}
	all, _, err := s.ListOperations(ctx, inventory.OperationFilter{}, inventory.Page{})
	if err != nil || len(all) != 7 {
		t.Fatalf("all = %d, %v", len(all), err)
	}
	// Newest first: a time range around the middle one finds it alone.
	mid := all[3].CreatedAt
	window, _, err := s.ListOperations(ctx, inventory.OperationFilter{Since: mid, Until: mid.Add(time.Microsecond)}, inventory.Page{})
	if err != nil || len(window) != 1 || window[0].ID != all[3].ID {
		t.Fatalf("operations created in [%s, +1µs) = %+v, %v", mid, window, err)
	}
	newer, _, err := s.ListOperations(ctx, inventory.OperationFilter{Since: mid}, inventory.Page{})
	if err != nil || len(newer) != 4 {
		t.Fatalf("operations since the middle one = %d, %v", len(newer), err)
	}
	older, _, err := s.ListOperations(ctx, inventory.OperationFilter{Until: mid, Actor: "alice"}, inventory.Page{})
	if err != nil || len(older) != 2 {
		t.Fatalf("alice's operations before the middle one = %d, %v", len(older), err)
	}
	if _, _, err := s.ListOperations(ctx, inventory.OperationFilter{}, inventory.Page{Cursor: "garbage!"}); err == nil {
		t.Fatal("bad cursor accepted")
	} else if v, ok := domain.AsValidation(err); !ok || v.Fields[0].Field != "cursor" {
		t.Fatalf("bad cursor error = %v", err)
	}
}
