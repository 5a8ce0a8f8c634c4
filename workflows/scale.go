package workflows

import (
	"slices"
	"strconv"

	"go.temporal.io/sdk/workflow"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/domain"
)

// Step names of ScaleCluster and ReplaceNode. A node removed is a step named
// StepRemoveNode + "-<node>"; the new nodes join in StepAddNodes.
const (
	StepReadCluster      = "read-cluster"
	StepCreateJoinToken  = "create-join-token"
	StepAddNodes         = "add-nodes"
	StepRemoveNode       = "remove"
	StepRecordPool       = "record-pool"
	StepDeleteJoinToken  = "delete-join-token"
	StepCompensateAdded  = "compensate-remove-added-nodes"
	StepCompensateToken  = "compensate-delete-join-token"
	scaleReasonPrefix    = "scaling worker pool "
	scaleStoppedPrefix   = "scaling stopped: "
	replaceReasonPrefix  = "replacing node "
	replaceStoppedPrefix = "replacement stopped: "
)

// ScaleCluster changes a worker pool's replicas. Up: a fresh join token, then the new
// nodes (the lowest free indexes of the pool) are cloned, powered on and joined in
// parallel, recorded once Ready, and the token deleted. Down: the newest nodes go first,
// one at a time: the Antrea gateway moved off, drained (PodDisruptionBudgets honoured),
// the Node deleted, the VM deleted, the lease released. A pool the cluster lacks is
// added; replicas 0 removes one. The spec records the pool as each change is done. A
// canceled or undecided scale-up removes the nodes it added; a scale-down keeps the
// removals done. The cluster is Updating meanwhile, Ready after.
func ScaleCluster(ctx workflow.Context, in ScaleClusterInput) (err error) {
	w := &scale{in: in, op: newOperation(in.OperationID, in.Policy)}
	if err := w.op.begin(ctx); err != nil {
		return err
	}
	defer func() {
		if ferr := w.op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	reason := scaleReasonPrefix + in.Plan.Pool.Name + " to " + strconv.Itoa(in.Plan.Pool.Replicas)
	if err := setPhase(ctx, in.ClusterID, domain.PhaseUpdating, reason); err != nil {
		return err
	}
	if err = w.run(ctx); err != nil {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		w.compensate(dctx)
		_ = setPhase(dctx, in.ClusterID, domain.PhaseReady, scaleStoppedPrefix+message(err))
		return err
	}
	return setPhase(ctx, in.ClusterID, domain.PhaseReady, "")
}

// scale is the state of one scaling.
type scale struct {
	in    ScaleClusterInput
	op    *operation
	nodes *day2Nodes
	// added are the nodes a scale-up plans, for its compensation.
	added []domain.PlannedNode
}

func (w *scale) run(ctx workflow.Context) error {
	if err := w.op.step(ctx, StepReadCluster, func(ctx workflow.Context) error {
		facts, err := readClusterFacts(ctx, w.in.ClusterID)
		w.nodes = &day2Nodes{clusterID: w.in.ClusterID, vcenterID: w.in.VCenterID, facts: facts}
		return err
	}); err != nil {
		return err
	}
	pool := w.in.Plan.Pool
	have := w.poolNodes()
	if len(have) < pool.Replicas {
		return w.up(ctx, pool, have)
	}
	return w.down(ctx, pool, have)
}

// up adds nodes to the pool until it has its replicas.
func (w *scale) up(ctx workflow.Context, pool domain.WorkerPool, have []domain.Node) error {
	names := w.nodes.nodeNames()
	for range pool.Replicas - len(have) {
		i := domain.NextNodeIndex(w.nodes.facts.Name, pool.Name, names)
		n := domain.PlannedNode{Name: domain.VMName(w.nodes.facts.Name, pool.Name, i), Pool: pool.Name,
			Role: domain.RoleNameWorker, Index: i, Shape: pool.NodeShape}
		w.added = append(w.added, n)
		names = append(names, n.Name)
	}
	return w.op.steps(ctx, []namedStep{
		{StepCreateJoinToken, w.nodes.createJoinToken},
		{StepAddNodes, func(ctx workflow.Context) error { return w.nodes.addNodes(ctx, w.added) }},
		{StepRecordPool, func(ctx workflow.Context) error { return w.recordPool(ctx, pool.Replicas) }},
		{StepDeleteJoinToken, w.nodes.deleteJoinToken},
	})
}

// down removes the pool's newest nodes, one at a time, until it has its replicas.
func (w *scale) down(ctx workflow.Context, pool domain.WorkerPool, have []domain.Node) error {
	slices.SortFunc(have, func(a, b domain.Node) int { return w.index(b) - w.index(a) })
	var steps []namedStep
	for k, n := range have[:len(have)-pool.Replicas] {
		left := len(have) - k - 1
		steps = append(steps, namedStep{StepRemoveNode + "-" + n.Name, func(ctx workflow.Context) error {
			if err := w.nodes.vacate(ctx, []string{n.Name}, w.in.Plan.DrainTimeout); err != nil {
				return err
			}
			if err := w.nodes.removeNode(ctx, n.Name); err != nil {
				return err
			}
			return w.recordPool(ctx, left)
		}})
	}
	if len(steps) == 0 { // the pool has its replicas already (a resumed scale): the spec says so
		steps = append(steps, namedStep{StepRecordPool, func(ctx workflow.Context) error { return w.recordPool(ctx, pool.Replicas) }})
	}
	return w.op.steps(ctx, steps)
}

// compensate undoes a scale-up that did not finish: the nodes it planned are removed
// (those never made are found gone) and the join token deleted.
func (w *scale) compensate(ctx workflow.Context) {
	if len(w.added) == 0 {
		return
	}
	_ = w.op.undo(ctx, StepCompensateAdded, func(ctx workflow.Context) error {
		for _, n := range w.added {
			if err := w.nodes.removeNode(ctx, n.Name); err != nil {
				return err
			}
		}
		return w.recordPool(ctx, len(w.poolNodes()))
	})
	_ = w.op.undo(ctx, StepCompensateToken, w.nodes.deleteJoinToken)
}

// recordPool records the pool with replicas nodes in the cluster's spec.
func (w *scale) recordPool(ctx workflow.Context, replicas int) error {
	pool := w.in.Plan.Pool
	pool.Replicas = replicas
	return workflow.ExecuteActivity(with(ctx, recordOptions), clusterRecords.RecordWorkerPool,
		invacts.PoolUpdate{ClusterID: w.in.ClusterID, Pool: pool}).Get(ctx, nil)
}

// poolNodes are the recorded nodes of the pool being scaled.
func (w *scale) poolNodes() []domain.Node {
	var out []domain.Node
	for _, n := range w.nodes.facts.Nodes {
		if n.Pool == w.in.Plan.Pool.Name && n.Role == domain.RoleNameWorker {
			out = append(out, n)
		}
	}
	return out
}

// index is a node's index in its pool (-1 for a name not made by VMName).
func (w *scale) index(n domain.Node) int {
	i, ok := domain.NodeIndex(w.nodes.facts.Name, n.Pool, n.Name)
	if !ok {
		return -1
	}
	return i
}
