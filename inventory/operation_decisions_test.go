package inventory_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestStepRunsAttemptsAndDecision records a step that fails twice, waits for a decision,
// is retried by another person and succeeds: the step keeps both runs, each with its
// attempts and who started it; the operation shows what it waited for while it waited,
// and the active states keep the target busy.
func TestStepRunsAttemptsAndDecision(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	op := domain.Operation{Kind: domain.OpProvisionCluster, Target: domain.Target{Kind: "cluster", Name: "east"}, Actor: "alice",
		WorkflowID: "cluster/east", FailurePolicy: domain.FailurePolicy{OnFailure: domain.OnFailureWait, DecisionTimeout: "1h0m0s"}}
	created, err := s.CreateOperation(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.MarkOperationStarted(ctx, id, "run-1"))
	must(s.StartStep(ctx, id, "create-workers", 1, ""))
	must(s.RecordAttemptStart(ctx, id, "create-workers", 1, 1))
	must(s.RecordAttemptEnd(ctx, id, "create-workers", 1, 1, true, "clone failed"))
	must(s.RecordAttemptStart(ctx, id, "create-workers", 1, 2))
	// Attempt 2's activity never reports back (its worker was lost): the step ends.
	must(s.FinishStep(ctx, id, "create-workers", 1, domain.StepFailed, "clone failed again"))
	deadline := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	must(s.AwaitDecision(ctx, id, "create-workers", "clone failed again", deadline))

	waiting, err := s.GetOperation(ctx, id)
	must(err)
	if waiting.State != domain.OpAwaitingDecision || waiting.Decision == nil || waiting.Decision.Step != "create-workers" ||
		waiting.Decision.Reason != "clone failed again" || !waiting.Decision.Deadline.Equal(deadline) {
		t.Fatalf("waiting operation = %+v, decision %+v", waiting, waiting.Decision)
	}
	if waiting.OnFailure != domain.OnFailureWait || waiting.DecisionTimeout != "1h0m0s" {
		t.Errorf("policy = %+v", waiting.FailurePolicy)
	}
	if _, err := s.CreateOperation(ctx, op); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second operation on a waiting target = %v, want busy", err)
	}
	if got, err := s.RunningOperation(ctx, op.WorkflowID); err != nil || got.ID != id {
		t.Errorf("running operation = %+v, %v", got, err)
	}

	must(s.ResumeOperation(ctx, id))
	must(s.StartStep(ctx, id, "create-workers", 2, "bob"))
	must(s.StartStep(ctx, id, "create-workers", 2, "bob")) // repeated: no change
	must(s.RecordAttemptStart(ctx, id, "create-workers", 2, 1))
	must(s.RecordAttemptEnd(ctx, id, "create-workers", 2, 1, false, ""))
	must(s.FinishStep(ctx, id, "create-workers", 2, domain.StepSucceeded, ""))
	must(s.FinishOperation(ctx, id, domain.OpSucceeded, ""))

	done, err := s.GetOperation(ctx, id)
	must(err)
	if done.State != domain.OpSucceeded || done.Decision != nil || len(done.Steps) != 1 {
		t.Fatalf("operation = %+v", done)
	}
	st := done.Steps[0]
	if st.State != domain.StepSucceeded || st.Attempts != 3 || len(st.Runs) != 2 {
		t.Fatalf("step = %+v", st)
	}
	r1, r2 := st.Runs[0], st.Runs[1]
	if r1.Run != 1 || r1.State != domain.StepFailed || r1.Actor != "alice" || r1.Error != "clone failed again" || r1.FinishedAt == nil ||
		len(r1.Attempts) != 2 {
		t.Fatalf("run 1 = %+v", r1)
	}
	if a := r1.Attempts[0]; a.State != domain.StepFailed || a.Error != "clone failed" || a.FinishedAt == nil {
		t.Errorf("run 1 attempt 1 = %+v", a)
	}
	if a := r1.Attempts[1]; a.State != domain.StepFailed || a.Error == "" || a.FinishedAt == nil {
		t.Errorf("run 1 attempt 2 (lost) = %+v", a)
	}
	if r2.Run != 2 || r2.State != domain.StepSucceeded || r2.Actor != "bob" || len(r2.Attempts) != 1 ||
		r2.Attempts[0].State != domain.StepSucceeded || r2.StartedAt.Before(r1.StartedAt) {
		t.Fatalf("run 2 = %+v", r2)
	}
	if _, err := s.CreateOperation(ctx, op); err != nil {
		t.Errorf("the target is not free after the operation ended: %v", err)
	}
}

// TestOperationEventsReplayTheOperation rebuilds the operation from its events, from the
// start and resumed after any event: the two always agree, nothing is missed or repeated.
func TestOperationEventsReplayTheOperation(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	created, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpSyncInventory,
		Target: domain.Target{Kind: "vcenter", Name: "vc1"}, Actor: "alice", WorkflowID: "vcenter/vc1"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	for _, err := range []error{
		s.MarkOperationStarted(ctx, id, "run-1"),
		s.StartStep(ctx, id, "connect", 1, ""),
		s.RecordAttemptStart(ctx, id, "connect", 1, 1),
		s.RecordAttemptEnd(ctx, id, "connect", 1, 1, false, ""),
		s.FinishStep(ctx, id, "connect", 1, domain.StepSucceeded, ""),
		s.FinishStep(ctx, id, "connect", 1, domain.StepSucceeded, ""), // repeated: no event
		s.StartStep(ctx, id, "collect", 1, ""),
		s.FinishStep(ctx, id, "collect", 1, domain.StepFailed, "boom"),
		s.FinishOperation(ctx, id, domain.OpFailed, "collect: boom"),
		s.FinishOperation(ctx, id, domain.OpFailed, "collect: boom"), // repeated: no event
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, state, err := s.OperationEvents(ctx, id, 0)
	if err != nil || state != domain.OpFailed {
		t.Fatalf("events = %v, state %s", err, state)
	}
	for i, e := range all {
		if e.Seq != i+1 {
			t.Fatalf("event %d has number %d", i, e.Seq)
		}
	}
	if len(all) != 9 {
		t.Errorf("%d events, want 9 (create, start, 2×connect start/attempt/end/finish... see the list)", len(all))
	}
	want, err := s.GetOperation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := rebuild(t, all); !sameOperation(got, want) {
		t.Fatalf("rebuilt from every event:\n%+v\nwant\n%+v", got, want)
	}
	for k := range all {
		rest, _, err := s.OperationEvents(ctx, id, all[k].Seq)
		if err != nil {
			t.Fatal(err)
		}
		resumed := append(slices.Clone(all[:k+1]), rest...)
		if len(resumed) != len(all) || !sameOperation(rebuild(t, resumed), want) {
			t.Fatalf("resumed after event %d: %d events", all[k].Seq, len(resumed))
		}
	}
}

// TestOperationEventsAreNumberedInCommitOrder records attempts from many goroutines at
// once: the numbers have no gaps and a reader that polls while they are written sees
// each event exactly once.
func TestOperationEventsAreNumberedInCommitOrder(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	created, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpSyncInventory,
		Target: domain.Target{Kind: "vcenter", Name: "vc1"}, Actor: "alice", WorkflowID: "vcenter/vc1"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	const steps = 8
	for i := range steps {
		if err := s.StartStep(ctx, id, stepName(i), 1, ""); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]int{}
	stop := make(chan struct{})
	read := make(chan error)
	go func() {
		after := 0
		for {
			events, _, err := s.OperationEvents(ctx, id, after)
			if err != nil {
				read <- err
				return
			}
			for _, e := range events {
				seen[e.Seq]++
				after = e.Seq
			}
			select {
			case <-stop:
				read <- nil
				return
			default:
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 1; attempt <= 5; attempt++ {
				if err := s.RecordAttemptStart(ctx, id, stepName(i), 1, attempt); err != nil {
					t.Error(err)
				}
				if err := s.RecordAttemptEnd(ctx, id, stepName(i), 1, attempt, true, "no"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	rest, _, err := s.OperationEvents(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + steps + steps*5*2
	if len(rest) != want {
		t.Fatalf("%d events, want %d", len(rest), want)
	}
	for _, e := range rest {
		if seen[e.Seq] > 1 {
			t.Errorf("event %d seen %d times", e.Seq, seen[e.Seq])
		}
	}
	last := rest[len(rest)-1].Seq
	for n := 1; n <= last; n++ {
		if seen[n] == 0 {
			// the reader stopped polling before the last writes; it must have seen a prefix
			for m := n; m <= last; m++ {
				if seen[m] != 0 {
					t.Fatalf("the reader missed event %d but saw %d", n, m)
				}
			}
			break
		}
	}
}

func stepName(i int) string { return "step-" + string(rune('a'+i)) }

// rebuild applies events in order to an empty operation, as a client does.
func rebuild(t *testing.T, events []inventory.OperationEvent) domain.Operation {
	t.Helper()
	op := domain.Operation{Steps: []domain.Step{}}
	for _, e := range events {
		switch e.Kind {
		case inventory.EventOperation:
			steps := op.Steps
			op = domain.Operation{}
			if err := json.Unmarshal(e.Data, &op); err != nil {
				t.Fatal(err)
			}
			op.Steps = steps
		case inventory.EventStep:
			var st inventory.IndexedStep
			if err := json.Unmarshal(e.Data, &st); err != nil {
				t.Fatal(err)
			}
			if st.Index == len(op.Steps) {
				op.Steps = append(op.Steps, st.Step)
			} else {
				op.Steps[st.Index] = st.Step
			}
		default:
			t.Fatalf("event kind %q", e.Kind)
		}
	}
	return op
}

// sameOperation compares two operations as JSON.
func sameOperation(a, b domain.Operation) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	json.Unmarshal(ja, &x)
	json.Unmarshal(jb, &y)
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
