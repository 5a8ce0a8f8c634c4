package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/backups"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/domain"
)

// backupActs names the backup activities; it is never called.
var backupActs *backups.Activities

// BackupInput names the cluster to back up, where to and how many backups to keep.
type BackupInput struct {
	OperationID string `json:"operation_id"`
	ClusterID   string `json:"cluster_id"`
	// Target names a configured backup target; empty means the default.
	Target string `json:"target,omitempty"`
	// Retention keeps this many newest backups of the cluster after this one; 0 skips
	// the retention step.
	Retention int `json:"retention,omitempty"`
	// Policy says what a failed step does: wait for a decision (the default) or end the
	// operation at once.
	Policy domain.FailurePolicy `json:"policy"`
}

// Step names of BackupCluster.
const (
	StepChooseNode = "choose-node"
	StepSnapshot   = "snapshot"
	StepRetention  = "retention"
)

// ErrTypeNoHealthyEtcd: no control-plane node of the cluster has a healthy etcd member.
const ErrTypeNoHealthyEtcd = "NoHealthyEtcd"

// Activity options of the backup.
var (
	// probeOptions: one etcd health probe; a node that does not answer is passed by
	// quickly for the next.
	probeOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 2},
	}
	// snapshotOptions: a snapshot taken, checked, encrypted and streamed to its target.
	snapshotOptions = workflow.ActivityOptions{
		StartToCloseTimeout: backups.SnapshotTimeout + backups.TransferTimeout,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 3,
			NonRetryableErrorTypes: []string{backups.ErrTypeInvalidInput}},
	}
)

// BackupCluster takes an etcd backup of a cluster: it chooses a control-plane node whose
// etcd member is healthy (the first in the inventory's order), takes the encrypted
// snapshot and PKI archive there to the target, and keeps the newest Retention backups
// of the cluster. The backup's id is the operation's, so that a retried step finishes
// the same backup. The cluster's phase does not change.
func BackupCluster(ctx workflow.Context, in BackupInput) (err error) {
	op := newOperation(in.OperationID, in.Policy)
	if err := op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	var node nodes.NodeRef
	return op.steps(ctx, []namedStep{
		{StepChooseNode, func(ctx workflow.Context) error {
			var err error
			node, err = chooseEtcdNode(ctx, in.ClusterID)
			return err
		}},
		{StepSnapshot, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, snapshotOptions), backupActs.SnapshotEtcd, backups.SnapshotInput{
				BackupID: in.OperationID, Node: node, Target: in.Target, OperationID: in.OperationID}).Get(ctx, nil)
		}},
		{StepRetention, func(ctx workflow.Context) error {
			if in.Retention < 1 {
				return skip("no retention asked for")
			}
			return workflow.ExecuteActivity(with(ctx, recordOptions), backupActs.ApplyRetention,
				backups.RetentionInput{ClusterID: in.ClusterID, Keep: in.Retention}).Get(ctx, nil)
		}},
	})
}

// chooseEtcdNode asks each control-plane node in turn for its etcd member's health and
// returns the first healthy one; it fails naming why each one was passed by.
func chooseEtcdNode(ctx workflow.Context, clusterID string) (nodes.NodeRef, error) {
	var cps []domain.Node
	if err := workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.ControlPlaneNodes, clusterID).Get(ctx, &cps); err != nil {
		return nodes.NodeRef{}, err
	}
	var passed []string
	for _, n := range cps {
		ref := nodes.NodeRef{ClusterID: clusterID, Node: n.Name, Address: n.IP}
		var h nodes.EtcdHealth
		err := workflow.ExecuteActivity(with(ctx, probeOptions), nodeActs.EtcdHealth, ref).Get(ctx, &h)
		switch {
		case temporal.IsCanceledError(err):
			return nodes.NodeRef{}, err
		case err != nil:
			passed = append(passed, n.Name+": "+message(err))
		case !h.Healthy:
			passed = append(passed, n.Name+": etcd unhealthy: "+h.Error)
		default:
			return ref, nil
		}
	}
	return nodes.NodeRef{}, temporal.NewApplicationError(
		fmt.Sprintf("no control-plane node has a healthy etcd member (%s)", strings.Join(passed, "; ")), ErrTypeNoHealthyEtcd)
}
