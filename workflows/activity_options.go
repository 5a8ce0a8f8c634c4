package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/addons"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/vsphere"
)

// Activity handles used to name activities; they are never called.
var (
	clusterRecords *invacts.ClusterActivities
	kubeActs       *kube.Activities
	addonActs      *addons.Activities
)

// heartbeatTimeout is the heartbeat timeout of the long activities: a few
// of their heartbeat intervals, so that a lost worker is noticed quickly.
const heartbeatTimeout = 20 * time.Second

// Retry and timeout policies, one per kind of step.
var (
	// recordOptions: short inventory writes.
	recordOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	}
	// vmOptions: one vCenter change (clone, power, reconfigure, delete).
	vmOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 6,
			NonRetryableErrorTypes: []string{vsphere.ErrTypeBadCredentials, vsphere.ErrTypePreflightFailed}},
	}
	// waitOptions: waiting for a guest, an API server or nodes.
	waitOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3},
	}
	// guestOptions: waiting for a new VM's guest to report its address. A guest that
	// has not booted in ten minutes will not; the wait is not retried much.
	guestOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 2},
	}
	// addonOptions: a Helm install or upgrade with its wait for readiness.
	addonOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5},
	}
)

// with returns ctx with the activity options opts. A canceled workflow waits for its
// running activities to end (WaitForCancellation) before it compensates, so that an
// activity finishing late never writes a lease, a secret or a VM behind the
// compensation's back.
func with(ctx workflow.Context, opts workflow.ActivityOptions) workflow.Context {
	opts.WaitForCancellation = true
	return workflow.WithActivityOptions(ctx, opts)
}
