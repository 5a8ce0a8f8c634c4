package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/nodes"
	"github.com/clusterwright/clusterwright/domain"
)

// Step names of ReplaceNode (besides those it shares with ScaleCluster).
const (
	StepCheckEtcd       = "check-etcd"
	StepStopOldNode     = "stop-control-plane"
	StepRemoveEtcd      = "remove-etcd-member"
	ErrTypeNodeNotFound = "NodeNotFound"
)

// ReplaceNode replaces one node by a new VM of the same pool: the new node (the pool's
// next index; a control plane never reuses index 0) joins first with a fresh join
// token — a control plane as a new etcd member —, then the old node's gateway role
// moves, it drains, and it goes. A control plane first stops kube-vip (gracefully, so
// that the virtual IP moves at once), then its etcd member is removed through the new
// member while every member still runs, so that etcd keeps its quorum (also from one
// control plane to two and back), then its static Pods stop; the API answers at the
// virtual IP throughout. Then its Node, VM, lease and record go. The cluster is Updating
// meanwhile, Ready after. A canceled or undecided replacement whose new node has not
// joined removes it; the old node is kept until the new one serves.
func ReplaceNode(ctx workflow.Context, in ReplaceNodeInput) (err error) {
	w := &replace{in: in, op: newOperation(in.OperationID, in.Policy)}
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := setPhase(ctx, in.ClusterID, domain.PhaseUpdating, replaceReasonPrefix+in.Node); err != nil {
		return err
	}
	if err = w.run(ctx); err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		w.compensate(dctx)
		_ = setPhase(dctx, in.ClusterID, domain.PhaseReady, replaceStoppedPrefix+message(err))
		return err
	}
	return setPhase(ctx, in.ClusterID, domain.PhaseReady, "")
}

// replace is the state of one replacement.
type replace struct {
	in    ReplaceNodeInput
	op    *operation
	nodes *day2Nodes
	old   domain.Node
	new   domain.PlannedNode
	// joined is set once the new node serves: from then on the old one may go.
	joined bool
}

func (w *replace) run(ctx workflow.Context) error {
	if err := w.op.step(ctx, StepReadCluster, w.read); err != nil {
		return err
	}
	steps := []namedStep{
		{StepCreateJoinToken, w.nodes.createJoinToken},
		{StepAddNodes, func(ctx workflow.Context) error {
			if err := w.nodes.addNodes(ctx, []domain.PlannedNode{w.new}); err != nil {
				return err
			}
			w.joined = true
			return nil
		}},
		{StepDeleteJoinToken, w.nodes.deleteJoinToken},
	}
	if w.controlPlane() {
		steps = append(steps, namedStep{StepCheckEtcd, w.checkEtcd})
	}
	steps = append(steps, namedStep{StepRemoveNode + "-" + w.old.Name, w.removeOld})
	return w.op.steps(ctx, steps)
}

// read reads the cluster and plans the new node.
func (w *replace) read(ctx workflow.Context) error {
	facts, err := readClusterFacts(ctx, w.in.ClusterID)
	if err != nil {
		return err
	}
	w.nodes = &day2Nodes{clusterID: w.in.ClusterID, vcenterID: w.in.VCenterID, facts: facts}
	i := slices.IndexFunc(facts.Nodes, func(n domain.Node) bool { return n.Name == w.in.Node })
	if i < 0 {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("cluster %s has no node %s", facts.Name, w.in.Node), ErrTypeNodeNotFound, nil)
	}
	w.old = facts.Nodes[i]
	planned, ok := domain.PlanNode(facts.Spec, w.old.Name)
	if !ok {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("node %s belongs to no pool of cluster %s", w.old.Name, facts.Name), ErrTypeNodeNotFound, nil)
	}
	next := domain.NextNodeIndex(facts.Name, planned.Pool, w.nodes.nodeNames())
	w.new = domain.PlannedNode{Name: domain.VMName(facts.Name, planned.Pool, next), Pool: planned.Pool, Role: planned.Role,
		Index: next, Shape: planned.Shape}
	return nil
}

// controlPlane reports whether the node replaced is a control plane.
func (w *replace) controlPlane() bool { return w.old.Role == domain.RoleNameControlPlane }

// checkEtcd waits for the new control plane's etcd member to be a healthy voting
// member before an old one is removed.
func (w *replace) checkEtcd(ctx workflow.Context) error {
	ref := nodes.NodeRef{ClusterID: w.in.ClusterID, Node: w.new.Name, Address: w.newAddress()}
	var members []nodes.EtcdMember
	if err := workflow.ExecuteActivity(with(ctx, probeOptions), nodeActs.EtcdMembers, ref).Get(ctx, &members); err != nil {
		return err
	}
	i := slices.IndexFunc(members, func(m nodes.EtcdMember) bool { return m.Name == w.new.Name })
	if i < 0 || members[i].Learner {
		return fmt.Errorf("etcd member %s is not a voting member yet", w.new.Name)
	}
	var h nodes.EtcdHealth
	if err := workflow.ExecuteActivity(with(ctx, probeOptions), nodeActs.EtcdHealth, ref).Get(ctx, &h); err != nil {
		return err
	}
	if !h.Healthy {
		return fmt.Errorf("etcd on %s is unhealthy: %s", w.new.Name, h.Error)
	}
	return nil
}

// removeOld takes the old node out: gateway moved, drained; a control plane stopped
// and its etcd member removed; then the Node, VM, lease and record.
func (w *replace) removeOld(ctx workflow.Context) error {
	if err := w.nodes.vacate(ctx, []string{w.old.Name}, w.in.DrainTimeout); err != nil {
		return err
	}
	if w.controlPlane() {
		// kube-vip first, so that the virtual IP moves before anything stops; then the
		// old etcd member goes while every member runs (with one control plane before the
		// replacement, two members: stopping either first would lose the quorum), and
		// the old control plane's static Pods stop.
		old := nodeRef(w.in.ClusterID, w.old)
		if err := workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.StopKubeVIP, old).Get(ctx, nil); err != nil {
			return err
		}
		via := nodes.NodeRef{ClusterID: w.in.ClusterID, Node: w.new.Name, Address: w.newAddress()}
		if err := workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.RemoveEtcdMember,
			nodes.RemoveEtcdMemberInput{Node: via, Member: w.old.Name}).Get(ctx, nil); err != nil {
			return err
		}
		if err := workflow.ExecuteActivity(with(ctx, nodeOptions), nodeActs.StopControlPlane, old).Get(ctx, nil); err != nil {
			return err
		}
	}
	return w.nodes.removeNode(ctx, w.old.Name)
}

// newAddress is the new node's address, once it is recorded.
func (w *replace) newAddress() string {
	return w.nodes.address(w.new.Name)
}

// compensate removes the new node when it never came to serve, and the join token.
func (w *replace) compensate(ctx workflow.Context) {
	if w.nodes == nil || w.new.Name == "" {
		return
	}
	if !w.joined {
		_ = w.op.undo(ctx, StepCompensateAdded, func(ctx workflow.Context) error { return w.nodes.removeNode(ctx, w.new.Name) })
	}
	_ = w.op.undo(ctx, StepCompensateToken, w.nodes.deleteJoinToken)
}
