package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/backups"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/domain"
)

// restoreActs is the activities handle used to name the restore activities; it is never called.
var restoreActs *backups.Activities

// RestoreInput names the cluster and the backup to restore into it.
type RestoreInput struct {
	OperationID string `json:"operation_id"`
	ClusterID   string `json:"cluster_id"`
	BackupID    string `json:"backup_id"`
	// Policy says what a failed step does: wait for a decision (the default) or end the
	// operation at once.
	Policy domain.FailurePolicy `json:"policy"`
}

// Step names of RestoreCluster. Per control-plane node, the steps are named
// StepUploadSnapshot + "-<node>" and so on; then StepWaitAPIServer and StepWaitNodes.
const (
	StepCheckBackup       = "check-backup"
	StepUploadSnapshot    = "upload"
	StepStopControlPlane  = "stop"
	StepRestoreSnapshot   = "restore"
	StepStartControlPlane = "start"
	StepWaitNodes         = "wait-nodes"
)

// Activity options of a restore.
var (
	// checkOptions: reading the inventory, refusing what may not be restored.
	checkOptions = workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5},
	}
	// transferOptions: a snapshot streamed from its target to a node.
	transferOptions = workflow.ActivityOptions{
		StartToCloseTimeout: backups.TransferTimeout + 5*time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3},
	}
	// restoreOptions: etcdutl snapshot restore and the swap of the data directory,
	// or the start of a control plane.
	restoreOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3},
	}
)

// RestoreCluster restores a cluster's etcd from one of its backups. It first checks the
// backup (one of this cluster's, at the minor version the cluster runs, its target and
// key configured): a refusal ends the operation Failed at once, with nothing stopped.
// Then, the cluster Updating, it uploads the snapshot to every control-plane node,
// stops the control plane on every one, restores the snapshot on each as its member of
// a new etcd cluster (one new token), starts them again and waits for the API server
// and every node. A step that fails once the control plane is stopped says so, and the
// operation waits for a decision with the control plane still stopped; a cancellation
// then leaves the cluster Failed, saying where it is stopped.
func RestoreCluster(ctx workflow.Context, in RestoreInput) (err error) {
	w := &restore{in: in, op: newOperation(in.OperationID, in.Policy), stopped: map[string]bool{}, starting: map[string]bool{}}
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := w.op.step(ctx, StepCheckBackup, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(with(ctx, checkOptions), restoreActs.CheckRestore,
			backups.RestoreCheckInput{ClusterID: in.ClusterID, BackupID: in.BackupID}).Get(ctx, &w.plan)
	}); err != nil {
		return err
	}
	if err := setPhase(ctx, in.ClusterID, domain.PhaseUpdating, "restoring backup "+in.BackupID); err != nil {
		return err
	}
	if err = w.op.steps(ctx, w.steps()); err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		if len(w.stopped)+len(w.starting) > 0 {
			_ = setPhase(dctx, in.ClusterID, domain.PhaseFailed, "restore of backup "+in.BackupID+" ended: "+w.stoppedNotice())
		} else {
			_ = setPhase(dctx, in.ClusterID, domain.PhaseReady, "restore of backup "+in.BackupID+" ended before the control plane was stopped: "+message(err))
		}
		return err
	}
	return setPhase(ctx, in.ClusterID, domain.PhaseReady, "")
}

// restore is the state of a restore.
type restore struct {
	in   RestoreInput
	op   *operation
	plan backups.RestorePlan
	// stopped are the nodes whose control plane was (or is being) stopped and not yet
	// started again; starting those whose start was queued, until the API server answers.
	stopped, starting map[string]bool
}

// steps are the restore's steps once the backup is checked.
func (w *restore) steps() []namedStep {
	var up, stop, restore, start []namedStep
	token := "restore-" + w.in.OperationID
	for _, m := range w.plan.Members {
		up = append(up, namedStep{StepUploadSnapshot + "-" + m.Node.Node, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, transferOptions), restoreActs.UploadSnapshot,
				backups.UploadInput{BackupID: w.in.BackupID, Node: m.Node}).Get(ctx, nil)
		}})
		stop = append(stop, namedStep{StepStopControlPlane + "-" + m.Node.Node, w.stoppedSays(func(ctx workflow.Context) error {
			w.stopped[m.Node.Node] = true
			return workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.StopControlPlane, m.Node).Get(ctx, nil)
		})})
		restore = append(restore, namedStep{StepRestoreSnapshot + "-" + m.Node.Node, w.stoppedSays(func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, restoreOptions), restoreActs.RestoreSnapshot, backups.RestoreInput{
				BackupID: w.in.BackupID, Node: m.Node, PeerURL: m.PeerURL, InitialCluster: w.plan.InitialCluster(), Token: token,
			}).Get(ctx, nil)
		})})
		start = append(start, namedStep{StepStartControlPlane + "-" + m.Node.Node, w.stoppedSays(func(ctx workflow.Context) error {
			if err := workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.StartControlPlane, m.Node).Get(ctx, nil); err != nil {
				return err
			}
			delete(w.stopped, m.Node.Node)
			w.starting[m.Node.Node] = true
			return workflow.ExecuteActivity(with(ctx, nodeOptions), restoreActs.RemoveRestoreFiles, m.Node).Get(ctx, nil)
		})})
	}
	return slices.Concat(up, stop, restore, start, []namedStep{
		{StepWaitAPIServer, w.stoppedSays(func(ctx workflow.Context) error {
			if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitAPIServer, w.in.ClusterID).Get(ctx, nil); err != nil {
				return err
			}
			clear(w.starting)
			return nil
		})},
		{StepWaitNodes, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitNodes,
				kube.WaitNodesInput{ClusterID: w.in.ClusterID, Names: w.plan.Nodes, Ready: true}).Get(ctx, nil)
		}},
	})
}

// stoppedSays wraps a step so that its error says where the control plane is stopped:
// that is what a person deciding on it must know.
func (w *restore) stoppedSays(fn func(ctx workflow.Context) error) func(ctx workflow.Context) error {
	return func(ctx workflow.Context) error {
		err := fn(ctx)
		if err == nil || len(w.stopped)+len(w.starting) == 0 || temporal.IsCanceledError(err) {
			return err
		}
		return errors.Join(errors.New(w.stoppedNotice()+": retry the step or cancel"), err)
	}
}

// stoppedNotice says where the cluster's control plane is stopped, or started and not
// answering yet.
func (w *restore) stoppedNotice() string {
	var parts []string
	if len(w.stopped) > 0 {
		parts = append(parts, "stopped on "+nodeList(w.stopped))
	}
	if len(w.starting) > 0 {
		parts = append(parts, "started but not answering yet on "+nodeList(w.starting))
	}
	return fmt.Sprintf("the control plane of cluster %s is %s", w.plan.ClusterName, strings.Join(parts, " and "))
}

// nodeList names a set of nodes in order: "node a" or "nodes a, b".
func nodeList(set map[string]bool) string {
	var list []string
	for n := range set {
		list = append(list, n)
	}
	slices.Sort(list)
	if len(list) == 1 {
		return "node " + list[0]
	}
	return "nodes " + strings.Join(list, ", ")
}
