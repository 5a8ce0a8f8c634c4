package api

import (
	"net/http"
	"regexp"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/workflows"
)

// BackupSettings are what the backup routes know of the service's backup
// configuration: the targets' names (never their credentials) and the retention of a
// request that names none.
type BackupSettings struct {
	Targets   []string
	Retention int
}

// backupIDPattern is the form of a backup id: a lower-case UUID.
var backupIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// listBackups lists the cluster's backups at their targets (not the ones retention
// deleted), newest first, a page at a time.
func (a *API) listBackups(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	backups, next, err := a.store.ListBackups(r.Context(), clusterOf(r).ID, inventory.BackupFilter{}, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(backups, next))
}

// getBackup returns one backup of the cluster, also a deleted one; a backup of another
// cluster is not found.
func (a *API) getBackup(w http.ResponseWriter, r *http.Request) {
	c, id := clusterOf(r), chi.URLParam(r, "id")
	if !backupIDPattern.MatchString(id) {
		a.writeProblem(w, r, Problem{Type: problemBase + "not-found", Status: http.StatusNotFound, Detail: "backup " + id + " not found"})
		return
	}
	b, err := a.store.GetBackup(r.Context(), id)
	if err == nil && b.ClusterID != c.ID {
		err = domain.ErrNotFound
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// createBackup starts a cluster.backup operation on a Ready cluster: an etcd snapshot
// to the target the body names (default: the service's), then the retention keeping
// the newest backups (the body's retention, default the setting). One operation at a
// time per cluster (409 while another runs); ?on_failure= and ?decision_timeout= say
// what a failed step does.
func (a *API) createBackup(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	var req domain.BackupRequest
	if r.ContentLength != 0 && !a.decode(w, r, &req) {
		return
	}
	if err := req.Validate(a.backups.Targets); err != nil {
		a.fail(w, r, err)
		return
	}
	if req.Retention == 0 {
		req.Retention = a.backups.Retention
	}
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	if c.Phase != domain.PhaseReady {
		a.writeProblem(w, r, Problem{Type: problemBase + "not-ready", Status: http.StatusConflict,
			Detail: "cluster " + c.Name + " is " + c.Phase + "; it is backed up when it is Ready"})
		return
	}
	started, err := a.startClusterOperation(r.Context(), domain.OpBackupCluster, c, policy, workflows.BackupCluster, func(opID string) any {
		return workflows.BackupInput{OperationID: opID, ClusterID: c.ID, Target: req.Target, Retention: req.Retention, Policy: policy}
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}
