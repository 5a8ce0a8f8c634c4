package inventory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestReleaseOperation: a release decided on another run changes nothing; one on the
// operation's run ends it Failed with the reason, ends its open step and attempt, frees
// the target (a new operation may start) and moves an Updating cluster to Ready; a
// second release, or one after the workflow recorded its end, is a no-op; a release of a
// run that completed ends it Succeeded and a Deleting cluster Deleted.
func TestReleaseOperation(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	cs := recordClusters(t, s, "up", "gone")
	start := func(c domain.Cluster, kind string) domain.Operation {
		t.Helper()
		op, err := s.CreateOperation(ctx, domain.Operation{Kind: kind, Actor: "alice", WorkflowID: "cluster/" + c.ID,
			Target: domain.Target{Kind: "cluster", ID: c.ID, Name: c.Name}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkOperationStarted(ctx, op.ID, "run-"+c.Name); err != nil {
			t.Fatal(err)
		}
		return op
	}
	up := start(cs[0], domain.OpUpgradeCluster)
	if err := s.SetClusterPhase(ctx, cs[0].ID, domain.PhaseUpdating, "upgrading"); err != nil {
		t.Fatal(err)
	}
	if err := s.StartStep(ctx, up.ID, "drain", 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttemptStart(ctx, up.ID, "drain", 1, 1); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReleaseOperation(ctx, up.ID, inventory.Release{State: domain.OpFailed, Reason: "x", RunID: "another-run"}); err != nil || ok {
		t.Fatalf("release of another run = %v, %v; want no change", ok, err)
	}
	if ok, err := s.ReleaseOperation(ctx, up.ID, inventory.Release{State: domain.OpFailed, Reason: "workflow terminated: by hand", RunID: "run-up"}); err != nil || !ok {
		t.Fatalf("release = %v, %v", ok, err)
	}
	op, err := s.GetOperation(ctx, up.ID)
	if err != nil || op.State != domain.OpFailed || op.Error != "workflow terminated: by hand" || op.FinishedAt == nil {
		t.Fatalf("released operation = %+v, %v", op, err)
	}
	if st := op.Steps[0]; st.State != domain.StepFailed || st.FinishedAt == nil || st.Error != op.Error ||
		len(st.Runs) != 1 || st.Runs[0].FinishedAt == nil || st.Runs[0].Attempts[0].FinishedAt == nil {
		t.Errorf("open step after the release = %+v", st)
	}
	c, err := s.GetClusterByID(ctx, cs[0].ID)
	if err != nil || c.Phase != domain.PhaseReady || !strings.Contains(c.PhaseReason, "workflow terminated: by hand") {
		t.Errorf("cluster = %s %q, %v; want Ready saying why", c.Phase, c.PhaseReason, err)
	}
	if ok, err := s.ReleaseOperation(ctx, up.ID, inventory.Release{State: domain.OpFailed, Reason: "again"}); err != nil || ok {
		t.Errorf("second release = %v, %v; want a no-op", ok, err)
	}
	again := start(cs[0], domain.OpScaleCluster) // the cluster is free
	if err := s.FinishOperation(ctx, again.ID, domain.OpSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReleaseOperation(ctx, again.ID, inventory.Release{State: domain.OpFailed, Reason: "late"}); err != nil || ok {
		t.Errorf("release of an operation its workflow ended = %v, %v", ok, err)
	}

	del := start(cs[1], domain.OpDeleteCluster)
	if err := s.SetClusterPhase(ctx, cs[1].ID, domain.PhaseDeleting, ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReleaseOperation(ctx, del.ID, inventory.Release{State: domain.OpSucceeded}); err != nil || !ok {
		t.Fatalf("release of a completed deletion = %v, %v", ok, err)
	}
	if c, err := s.GetClusterByID(ctx, cs[1].ID); err != nil || c.Phase != domain.PhaseDeleted {
		t.Errorf("deleted cluster = %s, %v", c.Phase, err)
	}
	if _, err := s.ReleaseOperation(ctx, del.ID, inventory.Release{State: domain.OpCanceled}); err == nil {
		t.Error("a release to Canceled was accepted")
	}
}
