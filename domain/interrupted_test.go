package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInterruptedClusterPhase(t *testing.T) {
	for _, c := range []struct {
		kind, phase string
		succeeded   bool
		want        string
		change      bool
	}{
		{OpProvisionCluster, PhaseProvisioning, false, PhaseFailed, true},
		{OpProvisionCluster, PhasePending, false, PhaseFailed, true},
		{OpProvisionCluster, PhaseProvisioning, true, PhaseReady, true},
		{OpDeleteCluster, PhaseDeleting, false, PhaseFailed, true},
		{OpDeleteCluster, PhaseDeleting, true, PhaseDeleted, true},
		{OpUpgradeCluster, PhaseUpdating, false, PhaseReady, true},
		{OpScaleCluster, PhaseUpdating, false, PhaseReady, true},
		{OpRenewCertificates, PhaseUpdating, false, PhaseReady, true},
		{OpRestoreCluster, PhaseUpdating, false, PhaseDegraded, true},
		{OpRestoreCluster, PhaseUpdating, true, PhaseReady, true},
		// Phases no operation holds stay: the workflow recorded them itself.
		{OpUpgradeCluster, PhaseReady, false, PhaseReady, false},
		{OpProvisionCluster, PhaseFailed, false, PhaseFailed, false},
		{OpBackupCluster, PhaseDegraded, false, PhaseDegraded, false},
	} {
		got, change := InterruptedClusterPhase(c.kind, c.phase, c.succeeded)
		if got != c.want || change != c.change {
			t.Errorf("InterruptedClusterPhase(%s, %s, %v) = %s, %v; want %s, %v", c.kind, c.phase, c.succeeded, got, change, c.want, c.change)
		}
	}
}

func TestInterruptedClusterSetPhase(t *testing.T) {
	for _, c := range []struct {
		kind, phase string
		succeeded   bool
		want        string
		change      bool
	}{
		{OpFormClusterSet, ClusterSetForming, false, ClusterSetFailed, true},
		{OpFormClusterSet, ClusterSetPending, false, ClusterSetFailed, true},
		{OpJoinClusterSet, ClusterSetUpdating, false, ClusterSetDegraded, true},
		{OpLeaveClusterSet, ClusterSetUpdating, false, ClusterSetDegraded, true},
		{OpDisbandClusterSet, ClusterSetDisbanding, false, ClusterSetFailed, true},
		{OpJoinClusterSet, ClusterSetUpdating, true, ClusterSetReady, true},
		{OpJoinClusterSet, ClusterSetReady, false, ClusterSetReady, false},
	} {
		got, change := InterruptedClusterSetPhase(c.kind, c.phase, c.succeeded)
		if got != c.want || change != c.change {
			t.Errorf("InterruptedClusterSetPhase(%s, %s, %v) = %s, %v; want %s, %v", c.kind, c.phase, c.succeeded, got, change, c.want, c.change)
		}
	}
}

func TestReleaseReason(t *testing.T) {
	if got := ReleaseReason("  workflow terminated: by hand \n"); got != "workflow terminated: by hand" {
		t.Errorf("ReleaseReason trims to %q", got)
	}
	long := strings.Repeat("é", maxReleaseReason) // two bytes each
	got := ReleaseReason(long)
	if !utf8.ValidString(got) || len(got) > maxReleaseReason+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("ReleaseReason of %d bytes = %d bytes, valid %v", len(long), len(got), utf8.ValidString(got))
	}
}
