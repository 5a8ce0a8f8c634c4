package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// Quotas (issue 13) are checked where what a project takes grows, by the inventory under
// the project's row lock (see inventory/quotas.go):
//   - POST /api/v1/clusters: the new cluster's spec (domain.SpecResources);
//   - scale: the nodes a scale up adds (domain.ScaleReservation), reserved by the
//     operation until its pool is recorded in the spec;
//   - node replacement: the new VM that joins before the old one goes
//     (domain.ReplaceReservation), reserved while the operation is active.
// An upgrade reserves nothing: it upgrades each node in place (workflows.UpgradeCluster
// drains, upgrades the packages and uncordons it), making no extra VM. A request over a
// quota is 422 naming each quota exceeded with the numbers (quotaExceeded).

// checkProjectAllows returns a *domain.ValidationError naming "project" when no live
// project is named project, or each field of spec that uses what the project does not
// allow (domain.Project.CheckSpec). The inventory checks both again under the project's
// lock as it records the cluster; this answers early, beside preflight's findings.
func (a *API) checkProjectAllows(ctx context.Context, project string, spec domain.ClusterSpec) error {
	p, err := a.store.GetProject(ctx, project)
	if isNotFound(err) {
		var v domain.ValidationError
		v.Add("project", "no project named %q", project)
		return v.Err()
	}
	if err != nil {
		return fmt.Errorf("project %s: %w", project, err)
	}
	return p.CheckSpec(spec)
}

// quotaExceeded replies 422 naming each quota a request would exceed.
func (a *API) quotaExceeded(w http.ResponseWriter, r *http.Request, e *domain.QuotaError) {
	a.writeProblem(w, r, Problem{Type: problemBase + "quota-exceeded", Title: "Quota exceeded", Status: http.StatusUnprocessableEntity,
		Detail: "project " + e.Project + " has no room for this under its quotas", Errors: e.Fields})
}

// startClusterOperationReserving is startClusterOperationWith for an operation that
// reserves reserve of its cluster's project's quotas while it is active (zero: none):
// over a quota, it is a *domain.QuotaError and nothing starts.
func (a *API) startClusterOperationReserving(ctx context.Context, kind string, c domain.Cluster, policy domain.FailurePolicy,
	params map[string]any, reserve domain.Resources, fn any, input func(operationID string) any) (domain.Operation, error) {
	op := domain.Operation{
		Kind: kind, Target: domain.Target{Kind: "cluster", ID: c.ID, Name: c.Name},
		Actor: actorName(ctx), RequestID: requestID(ctx), WorkflowID: workflows.ClusterWorkflowID(c.ID),
		FailurePolicy: policy,
	}
	if !reserve.IsZero() {
		op.Reserve = &reserve
	}
	return a.startOperation(ctx, op, params, fn, input)
}

// startOperation records op, with params shown beside it (nil: none), and starts its
// workflow fn with the input made for the operation's id.
func (a *API) startOperation(ctx context.Context, op domain.Operation, params map[string]any, fn any, input func(operationID string) any) (domain.Operation, error) {
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return domain.Operation{}, fmt.Errorf("operation parameters: %w", err)
		}
		op.Params = b
	}
	started, err := a.ops.Start(ctx, op, fn, input)
	if err == nil {
		a.metrics.OperationsStarted.WithLabelValues(op.Kind).Inc()
	}
	return started, err
}
