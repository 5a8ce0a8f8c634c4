package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// day2Phases are the phases in which a cluster's nodes may be upgraded, scaled or
// replaced: Degraded too, as replacing a broken node is how it is mended.
var day2Phases = []string{domain.PhaseReady, domain.PhaseDegraded}

// upgradeCluster starts a cluster.upgrade operation: the cluster's Kubernetes one minor
// version up (or a newer patch), control plane first, then the workers node by node. The
// body is an UpgradeRequest, checked by domain.CheckUpgrade (400 naming each bad field);
// ?on_failure= and ?decision_timeout= say what a failed step does.
func (a *API) upgradeCluster(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	var req domain.UpgradeRequest
	if !a.decode(w, r, &req) {
		return
	}
	plan, err := domain.CheckUpgrade(c, req)
	policy := queryPolicy(r)
	if err := validateAll(err, a.checkPolicy(&policy)); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.day2Ready(w, r, c, "it is upgraded") {
		return
	}
	params := map[string]any{"from": plan.From, "to": plan.To, "backup": plan.Backup,
		"max_unavailable": plan.MaxUnavailable, "drain_timeout": plan.DrainTimeout.String(), "template": plan.Template}
	addAuditDetail(r.Context(), "kubernetes_version", plan.To)
	started, err := a.startClusterOperationWith(r.Context(), domain.OpUpgradeCluster, c, policy, params, workflows.UpgradeCluster,
		func(opID string) any {
			return workflows.UpgradeClusterInput{OperationID: opID, ClusterID: c.ID, VCenterID: c.VCenterID, Plan: plan, Policy: policy}
		})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// scaleCluster starts a cluster.scale operation: a worker pool to its new replica count,
// added when the cluster lacks it, removed at 0. The body is a ScaleRequest, checked by
// domain.CheckScale (400 naming each bad field); ?on_failure= and ?decision_timeout= say
// what a failed step does.
func (a *API) scaleCluster(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	var req domain.ScaleRequest
	if !a.decode(w, r, &req) {
		return
	}
	plan, err := domain.CheckScale(c, req)
	policy := queryPolicy(r)
	if err := validateAll(err, a.checkPolicy(&policy)); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.day2Ready(w, r, c, "it is scaled") {
		return
	}
	if !a.preflight(w, r, a.checkFreeAddresses(r.Context(), c, plan.Pool.Replicas-plan.From, "replicas")) {
		return
	}
	params := map[string]any{"pool": plan.Pool.Name, "replicas": plan.Pool.Replicas, "from": plan.From,
		"added": plan.Added, "drain_timeout": plan.DrainTimeout.String()}
	addAuditDetail(r.Context(), "pool", plan.Pool.Name)
	addAuditDetail(r.Context(), "replicas", plan.Pool.Replicas)
	started, err := a.startClusterOperationReserving(r.Context(), domain.OpScaleCluster, c, policy, params, domain.ScaleReservation(plan),
		workflows.ScaleCluster, func(opID string) any {
			return workflows.ScaleClusterInput{OperationID: opID, ClusterID: c.ID, VCenterID: c.VCenterID, Plan: plan, Policy: policy}
		})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// replaceNode starts a cluster.node-replace operation: a new VM of the node's pool
// joins, then the node drains and goes. The body (a ReplaceRequest) is optional; a node
// the cluster lacks is 400 naming "node". ?on_failure= and ?decision_timeout= say what a
// failed step does.
func (a *API) replaceNode(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	var req domain.ReplaceRequest
	if r.ContentLength != 0 && !a.decode(w, r, &req) {
		return
	}
	node, timeout, err := domain.CheckReplace(c, chi.URLParam(r, "node"), req)
	policy := queryPolicy(r)
	if err := validateAll(err, a.checkPolicy(&policy)); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.day2Ready(w, r, c, "its nodes are replaced") {
		return
	}
	if !a.preflight(w, r, a.checkFreeAddresses(r.Context(), c, 1, "node")) {
		return
	}
	params := map[string]any{"node": node.Name, "role": node.Role, "pool": node.Pool, "drain_timeout": timeout.String()}
	started, err := a.startClusterOperationReserving(r.Context(), domain.OpReplaceNode, c, policy, params, domain.ReplaceReservation(c.Spec, node),
		workflows.ReplaceNode,
		func(opID string) any {
			return workflows.ReplaceNodeInput{OperationID: opID, ClusterID: c.ID, VCenterID: c.VCenterID, Node: node.Name,
				DrainTimeout: timeout, Policy: policy}
		})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// day2Ready replies 409, and returns false, unless cluster c is in one of day2Phases:
// busy naming the operation that holds the cluster (which makes it Updating, say), else
// not-ready.
func (a *API) day2Ready(w http.ResponseWriter, r *http.Request, c domain.Cluster, what string) bool {
	if slices.Contains(day2Phases, c.Phase) {
		return true
	}
	if c.Operation != nil {
		a.fail(w, r, &domain.BusyError{Target: "cluster " + c.Name, Operation: c.Operation.ID})
		return false
	}
	a.writeProblem(w, r, Problem{Type: problemBase + "not-ready", Status: http.StatusConflict,
		Detail: "cluster " + c.Name + " is " + c.Phase + "; " + what + " when it is Ready or Degraded"})
	return false
}

// checkFreeAddresses returns a *domain.ValidationError naming field when the IP pool of
// cluster c has fewer than need free addresses for new nodes (a replaced node's new VM
// takes one before the old one gives its back).
func (a *API) checkFreeAddresses(ctx context.Context, c domain.Cluster, need int, field string) error {
	if need <= 0 {
		return nil
	}
	name := c.Spec.Network.IPPool
	pool, err := a.store.IPPoolSummary(ctx, name)
	if err != nil {
		return fmt.Errorf("ip pool of cluster %s: %w", c.Name, err)
	}
	if pool.Free >= int64(need) {
		return nil
	}
	var v domain.ValidationError
	v.Add(field, "ip pool %s has %d free addresses; the new nodes need %d", name, pool.Free, need)
	return v.Err()
}
