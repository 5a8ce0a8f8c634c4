package domain

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// What an operation leaves its target in when it ends without its workflow recording the
// end: the workflow was terminated, timed out, lost, or stuck failing its workflow tasks,
// and the reconcile (or an admin's abandon) ends the operation instead. The workflow's own
// clean-up never ran, so the target's phase is set here to one from which a person can
// act again: a provision or a deletion that stopped midway leaves a cluster Failed (a
// deletion, which is idempotent, cleans up what is left), a Day-2 operation leaves it
// Ready as the Day-2 workflows do when they stop (the next health check corrects it), and
// an interrupted restore leaves it Degraded, because its control plane may be stopped (a
// restore may run again from Degraded; a health check tells the truth).

// busyClusterPhases are the phases a cluster is held in while an operation works on it.
var busyClusterPhases = []string{PhasePending, PhaseProvisioning, PhaseUpdating, PhaseDeleting}

// busyClusterSetPhases are the phases a ClusterSet is held in while an operation works on
// it.
var busyClusterSetPhases = []string{ClusterSetPending, ClusterSetForming, ClusterSetUpdating, ClusterSetDisbanding}

// InterruptedClusterPhase returns the phase a cluster in phase moves to when an operation
// of kind ended without its workflow recording it (succeeded when the workflow
// completed normally), and whether it moves: only a phase that an operation holds
// (Pending, Provisioning, Updating, Deleting) changes.
func InterruptedClusterPhase(kind, phase string, succeeded bool) (string, bool) {
	if !slices.Contains(busyClusterPhases, phase) {
		return phase, false
	}
	switch {
	case kind == OpDeleteCluster && succeeded:
		return PhaseDeleted, true
	case kind == OpProvisionCluster && !succeeded, kind == OpDeleteCluster:
		return PhaseFailed, true
	case kind == OpRestoreCluster && !succeeded:
		return PhaseDegraded, true
	}
	return PhaseReady, true
}

// InterruptedClusterSetPhase is InterruptedClusterPhase for a ClusterSet: a form or a
// disband that stopped midway leaves it Failed (disbanding it again cleans up), a join or
// a leave leaves it Degraded (a member may be half in).
func InterruptedClusterSetPhase(kind, phase string, succeeded bool) (string, bool) {
	if !slices.Contains(busyClusterSetPhases, phase) {
		return phase, false
	}
	switch {
	case succeeded:
		return ClusterSetReady, true
	case kind == OpJoinClusterSet, kind == OpLeaveClusterSet:
		return ClusterSetDegraded, true
	}
	return ClusterSetFailed, true
}

// maxReleaseReason bounds the reason recorded when an operation is released.
const maxReleaseReason = 1000

// ReleaseReason trims a reason recorded on an operation released by the reconcile or an
// abandon to a readable length.
func ReleaseReason(reason string) string {
	reason = strings.TrimSpace(reason)
	if len(reason) <= maxReleaseReason {
		return reason
	}
	cut := maxReleaseReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + "…"
}
