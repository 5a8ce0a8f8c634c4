package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/activities/backups"
	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/domain"
)

// Step names of UpgradeCluster. Each node is upgraded in a step named StepUpgradeNode +
// "-<node>" (workers upgraded together, max_unavailable > 1: "-<node>+<node>…").
const (
	StepUpgradePreflight = "preflight"
	StepUpgradeBackup    = "backup"
	StepUpgradeNode      = "upgrade"
	StepRecordVersion    = "record-version"
	StepUpgradeAddons    = "upgrade-addons"
)

// upgradeNodeOptions: a node's packages and static Pods upgraded over SSH; each phase
// is skipped when done, so a retry after a lost worker goes on where it stopped.
var upgradeNodeOptions = workflow.ActivityOptions{
	StartToCloseTimeout: nodes.UpgradeNodeTimeout,
	HeartbeatTimeout:    heartbeatTimeout,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3,
		NonRetryableErrorTypes: []string{nodes.ErrTypeVersionUnavailable, nodes.ErrTypeUpgradeRefused}},
}

// ErrTypeUpgradePreflight: the cluster cannot be upgraded as it is (a node not Ready or
// at an unexpected version, etcd unhealthy); nothing was changed.
const ErrTypeUpgradePreflight = "UpgradePreflightFailed"

// UpgradeCluster upgrades a cluster's Kubernetes one minor version in place, as
// kubeadm's upgrade guide does it: a preflight and an etcd backup first, then the
// control planes one at a time (`kubeadm upgrade apply` on the first, `kubeadm upgrade
// node` on the others), then the add-ons whose charts follow the Kubernetes version,
// then the workers, max_unavailable at a time. Every node is drained first (through the
// Eviction API, honouring PodDisruptionBudgets: a drain that cannot finish in time
// fails its step, which waits for a decision — nothing is force-deleted), gets the new
// kubeadm, kubelet and kubectl packages, and is uncordoned once its kubelet reports the
// new version and is Ready. An Antrea gateway moves off a node before it drains. A
// failed node stops the rollout with the cluster usable; a retry resumes at that node.
// The inventory records each node's version as it changes and the cluster's version
// once its control plane runs it. The cluster is Updating meanwhile, Ready after.
func UpgradeCluster(ctx workflow.Context, in UpgradeClusterInput) (err error) {
	w := &upgrade{in: in, op: newOperation(in.OperationID, in.Policy)}
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := setPhase(ctx, in.ClusterID, domain.PhaseUpdating, "upgrading Kubernetes to "+in.Plan.To); err != nil {
		return err
	}
	if err = w.run(ctx); err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		_ = setPhase(dctx, in.ClusterID, domain.PhaseReady, "upgrade to "+in.Plan.To+" stopped: "+message(err))
		return err
	}
	return setPhase(ctx, in.ClusterID, domain.PhaseReady, "")
}

// upgrade is the state of one cluster upgrade.
type upgrade struct {
	in    UpgradeClusterInput
	op    *operation
	facts invacts.ClusterFacts
	day2  *day2Nodes
}

// run reads the cluster, then runs the upgrade's steps in order.
func (w *upgrade) run(ctx workflow.Context) error {
	if err := w.op.step(ctx, StepUpgradePreflight, w.preflight); err != nil {
		return err
	}
	steps := []namedStep{{StepUpgradeBackup, w.backup}}
	controlPlanes, workers := w.facts.ByRole()
	for i, n := range controlPlanes {
		steps = append(steps, namedStep{StepUpgradeNode + "-" + n.Name, func(ctx workflow.Context) error {
			return w.upgradeNode(ctx, n, i == 0)
		}})
	}
	steps = append(steps,
		namedStep{StepRecordVersion, func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordKubernetesVersion,
				invacts.VersionUpdate{ClusterID: w.in.ClusterID, Version: w.in.Plan.To, Template: w.in.Plan.Template}).Get(ctx, nil)
		}},
		namedStep{StepUpgradeAddons, w.upgradeAddons})
	for _, batch := range batches(workers, w.in.Plan.MaxUnavailable) {
		names := make([]string, len(batch))
		for i, n := range batch {
			names[i] = n.Name
		}
		steps = append(steps, namedStep{StepUpgradeNode + "-" + strings.Join(names, "+"), func(ctx workflow.Context) error {
			return inParallel(ctx, batch, func(ctx workflow.Context, n domain.Node) error { return w.upgradeNode(ctx, n, false) })
		}})
	}
	return w.op.steps(ctx, steps)
}

// preflight reads the cluster and checks that it can be upgraded: every node Ready at
// the version the cluster runs (or already at the target, after an interrupted
// upgrade), every etcd member healthy.
func (w *upgrade) preflight(ctx workflow.Context) error {
	facts, err := readClusterFacts(ctx, w.in.ClusterID)
	if err != nil {
		return err
	}
	w.facts, w.day2 = facts, &day2Nodes{clusterID: w.in.ClusterID, vcenterID: w.in.VCenterID, facts: facts}
	var states []kube.NodeState
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.NodeStates, w.in.ClusterID).Get(ctx, &states); err != nil {
		return err
	}
	var problems []string
	seen := map[string]bool{}
	for _, s := range states {
		seen[s.Name] = true
		switch {
		case !s.Ready:
			problems = append(problems, "node "+s.Name+" is not Ready")
		case s.KubeletVersion != w.in.Plan.From && s.KubeletVersion != w.in.Plan.To:
			problems = append(problems, fmt.Sprintf("node %s runs kubelet %s, neither %s nor %s", s.Name, s.KubeletVersion, w.in.Plan.From, w.in.Plan.To))
		}
	}
	for _, n := range facts.Nodes {
		if !seen[n.Name] {
			problems = append(problems, "node "+n.Name+" is not registered in the cluster")
		}
	}
	controlPlanes, _ := facts.ByRole()
	for _, n := range controlPlanes {
		var h nodes.EtcdHealth
		if err := workflow.ExecuteActivity(with(ctx, probeOptions), nodeActs.EtcdHealth, nodeRef(w.in.ClusterID, n)).Get(ctx, &h); err != nil {
			return err
		}
		if !h.Healthy {
			problems = append(problems, "etcd on "+n.Name+" is unhealthy: "+h.Error)
		}
	}
	if len(problems) > 0 {
		return temporal.NewApplicationError("the cluster cannot be upgraded now: "+strings.Join(problems, "; "), ErrTypeUpgradePreflight)
	}
	return nil
}

// backup takes an etcd backup to the default target, the operation's id its id, unless
// the request said not to.
func (w *upgrade) backup(ctx workflow.Context) error {
	if !w.in.Plan.Backup {
		return skip("the request asked for no backup")
	}
	node, err := chooseEtcdNode(ctx, w.in.ClusterID)
	if err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, snapshotOptions), backupActs.SnapshotEtcd, backups.SnapshotInput{
		BackupID: w.in.OperationID, Node: node, OperationID: w.in.OperationID}).Get(ctx, nil)
}

// upgradeNode upgrades one node: its gateway role moved off and its Pods drained, the
// packages and (for a control plane) the static Pods upgraded, then it waits for the
// kubelet to report the new version Ready, uncordons it and records it. apply marks
// the first control plane, which upgrades the cluster's configuration.
func (w *upgrade) upgradeNode(ctx workflow.Context, n domain.Node, apply bool) error {
	if err := w.day2.vacate(ctx, []string{n.Name}, w.in.Plan.DrainTimeout); err != nil {
		return err
	}
	in := nodes.UpgradeNodeInput{Node: nodeRef(w.in.ClusterID, n), Version: w.in.Plan.To, Apply: apply,
		ControlPlane: n.Role == domain.RoleNameControlPlane}
	if err := workflow.ExecuteActivity(with(ctx, upgradeNodeOptions), nodeActs.UpgradeNode, in).Get(ctx, nil); err != nil {
		return err
	}
	var st kube.NodeState
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.WaitNodeVersion, kube.WaitNodeVersionInput{
		ClusterID: w.in.ClusterID, Node: n.Name, KubeletVersion: w.in.Plan.To}).Get(ctx, &st); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(with(ctx, waitOptions), kubeActs.UncordonNode,
		kube.NodeInput{ClusterID: w.in.ClusterID, Node: n.Name}).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordNodeState, invacts.NodeStateUpdate{
		ClusterID: w.in.ClusterID, Node: n.Name, KubeletVersion: st.KubeletVersion, Ready: st.Ready}).Get(ctx, nil)
}

// upgradeAddons upgrades, in the order provisioning installs them, the add-ons whose
// chart versions follow the Kubernetes version: each is installed from the recorded
// spec again, which keeps a release that is already what the new version needs.
func (w *upgrade) upgradeAddons(ctx workflow.Context) error {
	var errs []error
	for _, addon := range addons.Addons(w.facts.Spec) {
		if err := installAddon(ctx, w.in.ClusterID, addon, true); err != nil {
			errs = append(errs, fmt.Errorf("add-on %s: %w", addon, err))
		}
	}
	return errors.Join(errs...)
}

// batches splits nodes into groups of at most size, in order.
func batches(nodes []domain.Node, size int) [][]domain.Node {
	size = max(size, 1)
	var out [][]domain.Node
	for len(nodes) > 0 {
		n := min(size, len(nodes))
		out = append(out, nodes[:n])
		nodes = nodes[n:]
	}
	return out
}

// nodeRef is the SSH reference of a recorded node.
func nodeRef(clusterID string, n domain.Node) nodes.NodeRef {
	return nodes.NodeRef{ClusterID: clusterID, Node: n.Name, Address: n.IP}
}
