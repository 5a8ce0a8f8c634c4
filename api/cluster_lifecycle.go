package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// ClusterRequest is the body of POST /api/v1/clusters: the cluster's spec and, beside
// it, the project it belongs to and what a failed step of its provisioning does.
type ClusterRequest struct {
	domain.ClusterSpec
	// Project names the project the cluster belongs to (default: domain.DefaultProject).
	// It is not part of the spec, which goes into workflow inputs.
	Project string `json:"project,omitempty"`
	domain.FailurePolicy
	// BackupSchedule, if set, creates a backup schedule of the new cluster with it.
	BackupSchedule *BackupScheduleRequest `json:"backup_schedule,omitempty"`
}

// createCluster validates a spec, checks that the caller may create clusters in its
// project and that the project allows what the spec uses, checks the spec against the
// inventory (placement, template, datastore room, free addresses), records the cluster
// within the project's quotas and starts its provisioning. Any failure before the
// workflow starts leaves nothing behind.
func (a *API) createCluster(w http.ResponseWriter, r *http.Request) {
	var req ClusterRequest
	if !a.decode(w, r, &req) {
		return
	}
	ctx := r.Context()
	spec, policy, project := req.ClusterSpec, req.FailurePolicy, cmp.Or(req.Project, domain.DefaultProject)
	setAuditTarget(ctx, "cluster/"+spec.Name)
	if !a.authorizeProject(w, r, project, "project "+project, domain.RoleOperator) {
		return
	}
	spec.Defaults()
	if err := validateAll(spec.Validate(), a.checkPolicy(&policy), a.checkBackupSchedule(req.BackupSchedule, spec.Name)); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.preflight(w, r, validateAll(a.checkProjectAllows(ctx, project, spec), a.store.PreflightCluster(ctx, spec))) {
		return
	}
	c, err := a.store.CreateClusterIn(ctx, project, spec, actorName(ctx))
	if !a.preflight(w, r, err) {
		return
	}
	started, err := a.startProvision(ctx, c, spec, policy, req.BackupSchedule)
	if err != nil {
		if derr := a.store.DeleteClusterRecord(context.WithoutCancel(ctx), c.ID); derr != nil {
			a.logger.ErrorContext(ctx, "remove cluster whose provisioning did not start", "cluster", c.Name, "error", derr)
		}
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}

// deleteCluster starts the deletion of a cluster; ?delete_volumes=true deletes its
// vSphere volumes first; ?on_failure= and ?decision_timeout= say what a failed step does.
func (a *API) deleteCluster(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := clusterOf(r)
	var v domain.ValidationError
	deleteVolumes := false
	if s := r.URL.Query().Get("delete_volumes"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("delete_volumes", "must be true or false")
		}
		deleteVolumes = b
	}
	policy := queryPolicy(r)
	if err := validateAll(v.Err(), a.checkPolicy(&policy)); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.checkLeaderDelete(ctx, c); err != nil {
		a.fail(w, r, err)
		return
	}
	started, err := a.startClusterOperation(ctx, domain.OpDeleteCluster, c, policy, workflows.DeleteCluster, func(opID string) any {
		return workflows.DeleteClusterInput{OperationID: opID, ClusterID: c.ID, VCenterID: c.VCenterID, DeleteVolumes: deleteVolumes, Policy: policy}
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.deleteClusterSchedules(r, c.Name)
	a.accepted(w, started)
}

// deleteClusterSchedules removes the schedules of a cluster whose deletion started. One
// left behind (logged) only skips its runs: its cluster is no longer Ready.
func (a *API) deleteClusterSchedules(r *http.Request, name string) {
	if a.schedules == nil {
		return
	}
	ids, err := a.schedules.DeleteClusterSchedules(r.Context(), name)
	if err != nil {
		a.logger.ErrorContext(r.Context(), "delete the schedules of a deleted cluster", "cluster", name, "error", err)
	}
	if len(ids) > 0 {
		a.logger.InfoContext(r.Context(), "deleted the schedules of a deleted cluster", "cluster", name, "schedules", ids)
	}
}

// checkLeaderDelete refuses (domain.ErrConflict) the deletion of a cluster that leads a
// ClusterSet with other members: the set must be disbanded first. A member's deletion
// leaves its set first.
func (a *API) checkLeaderDelete(ctx context.Context, c domain.Cluster) error {
	ref := c.ClusterSet
	if ref == nil || !ref.Leader {
		return nil
	}
	set, err := a.store.GetClusterSet(ctx, ref.Name)
	if isNotFound(err) {
		return nil // disbanded meanwhile
	}
	if err != nil {
		return err
	}
	if others := len(set.Members) - 1; others > 0 {
		return fmt.Errorf("cluster %s leads clusterset %s, which has %d other members; disband the set first (DELETE /api/v1/clustersets/%s): %w",
			c.Name, set.Name, others, set.Name, domain.ErrConflict)
	}
	return nil
}

// startClusterOperation starts workflow fn as an operation of kind on cluster c: one at
// a time per cluster, as the workflow id is the cluster's.
func (a *API) startClusterOperation(ctx context.Context, kind string, c domain.Cluster, policy domain.FailurePolicy, fn any, input func(operationID string) any) (domain.Operation, error) {
	return a.startClusterOperationWith(ctx, kind, c, policy, nil, fn, input)
}

// startClusterOperationWith is startClusterOperation with the operation's parameters,
// which are shown with it (nil: none).
func (a *API) startClusterOperationWith(ctx context.Context, kind string, c domain.Cluster, policy domain.FailurePolicy,
	params map[string]any, fn any, input func(operationID string) any) (domain.Operation, error) {
	return a.startClusterOperationReserving(ctx, kind, c, policy, params, domain.Resources{}, fn, input)
}

// withCluster loads the live cluster named in the URL once, for the handler.
func (a *API) withCluster(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.store.GetCluster(r.Context(), chi.URLParam(r, "name"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !a.authorizeProject(w, r, c.Project, "cluster "+c.Name, "") {
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keyEntity, c)))
	}
}

func clusterOf(r *http.Request) domain.Cluster { return r.Context().Value(keyEntity).(domain.Cluster) }
