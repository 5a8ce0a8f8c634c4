package inventory_test

import (
	"context"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestSetHealthPhase: a health check records Degraded, Unreachable and Ready between
// themselves, never over another phase nor while an operation holds the cluster.
func TestSetHealthPhase(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	c := recordClusters(t, s, "dev-east")[0]
	set := func(phase, reason string, want bool) {
		t.Helper()
		if got, err := s.SetHealthPhase(ctx, c.ID, phase, reason); err != nil || got != want {
			t.Fatalf("SetHealthPhase(%s, %q) = %v, %v; want %v", phase, reason, got, err, want)
		}
	}
	phase := func(want, reason string) {
		t.Helper()
		got, err := s.GetClusterByID(ctx, c.ID)
		if err != nil || got.Phase != want || got.PhaseReason != reason {
			t.Fatalf("cluster is %s (%q), %v; want %s (%q)", got.Phase, got.PhaseReason, err, want, reason)
		}
	}
	set(domain.PhaseDegraded, "not yet provisioned", false) // Pending: not the health check's
	phase(domain.PhasePending, "")
	if err := s.SetClusterPhase(ctx, c.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}
	set(domain.PhaseDegraded, "node dev-east-default-0: VM missing", true)
	phase(domain.PhaseDegraded, "node dev-east-default-0: VM missing")
	set(domain.PhaseUnreachable, "API server not answering", true)
	phase(domain.PhaseUnreachable, "API server not answering")
	set(domain.PhaseUnreachable, "API server not answering", true) // unchanged: still recorded
	if _, err := s.SetHealthPhase(ctx, c.ID, domain.PhaseFailed, "x"); err == nil {
		t.Error("a health check set the phase Failed")
	}

	// An operation starts: the check gives way, whatever it found.
	op, err := s.CreateOperation(ctx, domain.Operation{Kind: domain.OpDeleteCluster, Actor: "alice",
		Target: domain.Target{Kind: "cluster", ID: c.ID, Name: c.Name}, WorkflowID: "cluster/" + c.ID})
	if err != nil {
		t.Fatal(err)
	}
	set(domain.PhaseReady, "", false)
	phase(domain.PhaseUnreachable, "API server not answering")
	if err := s.FinishOperation(ctx, op.ID, domain.OpSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	set(domain.PhaseReady, "", true)
	phase(domain.PhaseReady, "")
}
