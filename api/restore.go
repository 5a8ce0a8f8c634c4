package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// restoreBackup starts a cluster.restore operation that restores the cluster's etcd
// from one of its backups: 404 for an unknown backup, 422 for a backup of another
// cluster, another Kubernetes minor version or one deleted, 409 while the cluster is
// not Ready or busy. Admins only: it rewinds the whole cluster to the backup's time.
// ?on_failure= and ?decision_timeout= say what a failed step does.
func (a *API) restoreBackup(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	id := chi.URLParam(r, "id")
	if !backupIDPattern.MatchString(id) {
		a.fail(w, r, errors.Join(domain.ErrNotFound, errors.New("there is no backup "+id)))
		return
	}
	b, err := a.store.GetBackup(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var refusal *domain.RestoreRefusedError
	if err := domain.CheckRestore(c, b); errors.As(err, &refusal) {
		a.writeProblem(w, r, Problem{Type: problemBase + "restore-refused", Title: "Restore refused",
			Status: http.StatusUnprocessableEntity, Detail: refusal.Reason,
			Errors: []domain.FieldError{{Field: refusal.Field, Message: refusal.Reason}}})
		return
	}
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	if !slices.Contains(domain.HealthPhases, c.Phase) {
		a.writeProblem(w, r, Problem{Type: problemBase + "not-ready", Status: http.StatusConflict,
			Detail: "cluster " + c.Name + " is " + c.Phase + "; a backup is restored into a cluster that is Ready, Degraded or Unreachable"})
		return
	}
	started, err := a.startClusterOperation(r.Context(), domain.OpRestoreCluster, c, policy, workflows.RestoreCluster, func(opID string) any {
		return workflows.RestoreInput{OperationID: opID, ClusterID: c.ID, BackupID: b.ID, Policy: policy}
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}
