package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// ClusterSetRequest is the body of POST /api/v1/clustersets: the set and, beside it, what
// a failed step of its forming does.
type ClusterSetRequest struct {
	domain.ClusterSetSpec
	domain.FailurePolicy
}

// ClusterSetJoinRequest is the body of POST /api/v1/clustersets/{name}/members.
type ClusterSetJoinRequest struct {
	domain.ClusterSetJoin
	domain.FailurePolicy
}

// createClusterSet validates a set, checks it against the inventory (the clusters, their
// ranges, names and nodes), records it with its members and starts its forming. Any
// failure before the workflow starts leaves nothing behind.
func (a *API) createClusterSet(w http.ResponseWriter, r *http.Request) {
	var req ClusterSetRequest
	if !a.decode(w, r, &req) {
		return
	}
	ctx := r.Context()
	spec, policy := req.ClusterSetSpec, req.FailurePolicy
	setAuditTarget(ctx, "clusterset/"+spec.Name)
	spec.Defaults()
	if err := validateAll(spec.Validate(), a.checkPolicy(&policy)); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, ok := a.clusterSetProject(w, r, spec.Clusters(), func(c string) string { return specField(spec, c) }); !ok {
		return
	}
	// Fail fast on a taken name, before the preflight; the insert checks again.
	if _, err := a.store.GetClusterSet(ctx, spec.Name); err == nil {
		a.fail(w, r, fmt.Errorf("clusterset %q exists: %w", spec.Name, domain.ErrConflict))
		return
	}
	if !a.preflight(w, r, a.store.PreflightClusterSet(ctx, spec)) {
		return
	}
	fn := a.clusterSets.Form
	if fn == nil {
		a.clusterSetsUnavailable(w, r, "forming")
		return
	}
	set, err := a.store.CreateClusterSet(ctx, spec, actorName(ctx))
	var inSet *domain.ClusterInSetError
	if errors.As(err, &inSet) { // joined another set since the preflight
		a.unprocessable(w, r, domain.FieldError{Field: specField(spec, inSet.Cluster), Message: inSet.Error()})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	params := map[string]any{"leader": spec.Leader, "members": spec.Clusters()[1:]}
	started, err := a.startClusterSetOperation(ctx, domain.OpFormClusterSet, set, policy, fn, params, func(opID string) any {
		return workflows.FormClusterSetInput{OperationID: opID, ClusterSetID: set.ID, Policy: policy}
	})
	if err != nil {
		if derr := a.store.DeleteClusterSetRecord(context.WithoutCancel(ctx), set.ID); derr != nil {
			a.logger.ErrorContext(ctx, "remove clusterset whose forming did not start", "clusterset", set.Name, "error", derr)
		}
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// specField is the request field that names cluster in spec.
func specField(spec domain.ClusterSetSpec, cluster string) string {
	if cluster == spec.Leader {
		return "leader"
	}
	if i := slices.Index(spec.Members, cluster); i >= 0 {
		return "members[" + strconv.Itoa(i) + "]"
	}
	return "members"
}

// joinClusterSet checks a cluster against the inventory and the set's members, records
// it as a Joining member (its gateway nodes in the set's spec) and starts its join. Any
// failure before the workflow starts leaves nothing behind.
func (a *API) joinClusterSet(w http.ResponseWriter, r *http.Request) {
	var req ClusterSetJoinRequest
	if !a.decode(w, r, &req) {
		return
	}
	ctx := r.Context()
	set, join, policy := clusterSetOf(r), req.ClusterSetJoin, req.FailurePolicy
	addAuditDetail(ctx, "cluster", join.Cluster)
	if err := validateAll(join.Validate(), a.checkPolicy(&policy)); err != nil {
		a.fail(w, r, err)
		return
	}
	if project, ok := a.clusterSetProject(w, r, []string{join.Cluster}, func(string) string { return "cluster" }); !ok {
		return
	} else if project != "" && project != set.Project {
		a.unprocessable(w, r, domain.FieldError{Field: "cluster", Message: fmt.Sprintf(
			"cluster %s is in project %s, clusterset %s in project %s: a ClusterSet spans the clusters of one project", join.Cluster, project, set.Name, set.Project)})
		return
	}
	// A join waits for the set's running operation, which must not see a new member.
	if op := set.Operation; op != nil {
		a.fail(w, r, &domain.BusyError{Target: "clusterset " + set.Name, Operation: op.ID})
		return
	}
	if !a.preflight(w, r, a.store.PreflightJoin(ctx, set, join)) {
		return
	}
	fn := a.clusterSets.Join
	if fn == nil {
		a.clusterSetsUnavailable(w, r, "joining")
		return
	}
	c, err := a.store.GetCluster(ctx, join.Cluster)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	err = a.store.AddClusterSetMember(ctx, set.ID, c.ID, join.Gateways)
	var inSet *domain.ClusterInSetError
	if errors.As(err, &inSet) { // joined another set since the preflight
		a.unprocessable(w, r, domain.FieldError{Field: "cluster", Message: inSet.Error()})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	started, err := a.startClusterSetOperation(ctx, domain.OpJoinClusterSet, set, policy, fn, map[string]any{"cluster": c.Name}, func(opID string) any {
		return workflows.JoinClusterSetInput{OperationID: opID, ClusterSetID: set.ID, ClusterID: c.ID, Policy: policy}
	})
	if err != nil {
		if derr := a.store.RemoveClusterSetMember(context.WithoutCancel(ctx), set.ID, c.ID); derr != nil {
			a.logger.ErrorContext(ctx, "remove member whose join did not start", "clusterset", set.Name, "cluster", c.Name, "error", derr)
		}
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// leaveClusterSet starts a member's leave; the leader leaves only with its set (409).
// ?on_failure= and ?decision_timeout= say what a failed step does.
func (a *API) leaveClusterSet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	set, name := clusterSetOf(r), chi.URLParam(r, "cluster")
	m, ok := set.Member(name)
	if !ok {
		a.fail(w, r, fmt.Errorf("cluster %s is not a member of clusterset %s: %w", name, set.Name, domain.ErrNotFound))
		return
	}
	if m.Leader {
		a.fail(w, r, fmt.Errorf("cluster %s leads clusterset %s and cannot leave it; disband the set instead (DELETE /api/v1/clustersets/%s): %w",
			name, set.Name, set.Name, domain.ErrConflict))
		return
	}
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	fn := a.clusterSets.Leave
	if fn == nil {
		a.clusterSetsUnavailable(w, r, "leaving")
		return
	}
	started, err := a.startClusterSetOperation(ctx, domain.OpLeaveClusterSet, set, policy, fn, map[string]any{"cluster": name}, func(opID string) any {
		return workflows.LeaveClusterSetInput{OperationID: opID, ClusterSetID: set.ID, ClusterID: m.ClusterID, Policy: policy}
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// disbandClusterSet starts the disbanding of a set: every member leaves, the leader last.
// ?on_failure= and ?decision_timeout= say what a failed step does.
func (a *API) disbandClusterSet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	set := clusterSetOf(r)
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	fn := a.clusterSets.Disband
	if fn == nil {
		a.clusterSetsUnavailable(w, r, "disbanding")
		return
	}
	started, err := a.startClusterSetOperation(ctx, domain.OpDisbandClusterSet, set, policy, fn, nil, func(opID string) any {
		return workflows.DisbandClusterSetInput{OperationID: opID, ClusterSetID: set.ID, Policy: policy}
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// preflight replies to a failed preflight, 422 naming the fields, and reports whether
// err was nil.
func (a *API) preflight(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == nil {
		return true
	}
	if v, ok := domain.AsValidation(err); ok {
		a.unprocessable(w, r, v.Fields...)
		return false
	}
	a.fail(w, r, err)
	return false
}

// clusterSetsUnavailable replies 503: this server has no workflow for the operation.
func (a *API) clusterSetsUnavailable(w http.ResponseWriter, r *http.Request, what string) {
	a.writeProblem(w, r, Problem{Type: problemBase + "unavailable", Status: http.StatusServiceUnavailable,
		Detail: "clusterset operations are not available: this server cannot run clusterset " + what})
}

// startClusterSetOperation starts workflow fn as an operation of kind on set: one at a
// time per set, as the workflow id is the set's. params are shown with the operation.
func (a *API) startClusterSetOperation(ctx context.Context, kind string, set domain.ClusterSet, policy domain.FailurePolicy,
	fn any, params map[string]any, input func(operationID string) any) (domain.Operation, error) {
	op := domain.Operation{
		Kind: kind, Target: domain.Target{Kind: "clusterset", ID: set.ID, Name: set.Name},
		Actor: actorName(ctx), RequestID: requestID(ctx), WorkflowID: workflows.ClusterSetWorkflowID(set.ID),
		FailurePolicy: policy,
	}
	return a.startOperation(ctx, op, params, fn, input)
}
