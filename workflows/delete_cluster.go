package workflows

import (
	"go.temporal.io/sdk/workflow"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"

	"github.com/clusterwright/clusterwright/domain"
)

// DeleteClusterInput names the cluster to delete.
type DeleteClusterInput struct {
	OperationID string `json:"operation_id"`
	ClusterID   string `json:"cluster_id"`
	VCenterID   string `json:"vcenter_id"`
	// DeleteVolumes deletes the cluster's vSphere CSI volumes first, through
	// the cluster (its PersistentVolumeClaims), while the CSI driver runs.
	DeleteVolumes bool `json:"delete_volumes,omitempty"`
	// Policy says what a failed step does: wait for a decision (the default) or
	// end the deletion at once.
	Policy domain.FailurePolicy `json:"policy"`
}

// Step names of DeleteCluster.
const (
	StepLeaveClusterSet  = "leave-clusterset"
	StepDeleteVolumes    = "delete-volumes"
	StepDeleteVMs        = "delete-vms"
	StepReleaseAddresses = "release-addresses"
	StepDeleteRecords    = "delete-records"
	StepDeleteSecrets    = "delete-secrets"
)

// DeleteCluster removes a cluster: its volumes when asked, every VM marked
// with its id, its address leases, node records and secrets; the cluster
// ends Deleted. Each step is idempotent, so a rerun after a partial failure
// (or after someone removed a VM by hand) finishes the job. A failed step
// waits for a decision; a delete that fails for good leaves the cluster Failed
// with the reason.
func DeleteCluster(ctx workflow.Context, in DeleteClusterInput) error {
	w := deleteCluster{in: in, op: newOperation(in.OperationID, in.Policy)}
	return w.run(ctx)
}

type deleteCluster struct {
	in DeleteClusterInput
	op *operation
}

func (w *deleteCluster) run(ctx workflow.Context) (err error) {
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err = w.delete(ctx); err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		_ = setPhase(dctx, w.in.ClusterID, domain.PhaseFailed, "deletion failed: "+message(err))
		return err
	}
	return setPhase(ctx, w.in.ClusterID, domain.PhaseDeleted, "")
}

func (w *deleteCluster) delete(ctx workflow.Context) error {
	if err := setPhase(ctx, w.in.ClusterID, domain.PhaseDeleting, ""); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, changeDeleteLeavesClusterSet, workflow.DefaultVersion, 1) >= 1 {
		if err := w.leaveClusterSet(ctx); err != nil {
			return err
		}
	}
	if workflow.GetVersion(ctx, changeKubeSphereMember, workflow.DefaultVersion, 1) >= 1 {
		if err := w.unregisterFromKubeSphereHost(ctx); err != nil {
			return err
		}
	}
	if w.in.DeleteVolumes {
		if err := w.op.step(ctx, StepDeleteVolumes, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.DeleteVolumes, w.in.ClusterID).Get(ctx, nil)
		}); err != nil {
			return err
		}
	}
	steps := []namedStep{
		{StepDeleteVMs, func(ctx workflow.Context) error { return deleteClusterVMs(ctx, w.in.VCenterID, w.in.ClusterID) }},
		{StepReleaseAddresses, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ReleaseAddresses, w.in.ClusterID).Get(ctx, nil)
		}},
		{StepDeleteRecords, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.DeleteNodes, w.in.ClusterID).Get(ctx, nil)
		}},
		{StepDeleteSecrets, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.DeleteSecrets, w.in.ClusterID).Get(ctx, nil)
		}},
	}
	return w.op.steps(ctx, steps)
}

// leaveClusterSet takes the cluster out of its ClusterSet first, when it is in one: a
// member leaves it; a leader (the API refuses to delete one that has members) disbands
// it.
func (w *deleteCluster) leaveClusterSet(ctx workflow.Context) error {
	var m invacts.ClusterMembership
	if err := workflow.ExecuteActivity(with(ctx, recordOptions), setRecords.ClusterSetOfCluster, w.in.ClusterID).Get(ctx, &m); err != nil {
		return err
	}
	if m.SetID == "" {
		return nil
	}
	return w.op.step(ctx, StepLeaveClusterSet, func(ctx workflow.Context) error {
		set := &clusterSetOp{op: w.op, setID: m.SetID}
		if err := set.read(ctx); err != nil {
			return err
		}
		c, err := set.cluster(w.in.ClusterID)
		if err != nil {
			return err
		}
		if err := set.leaveCluster(ctx, c); err != nil || !m.Leader {
			return err
		}
		return set.disbandLeader(ctx)
	})
}
