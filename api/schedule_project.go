package api

import (
	"fmt"
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
)

// authorizeSchedule checks that the caller may act with role min ("" for the route's) on
// a schedule of cluster (what names the schedule for a 404): a schedule of one cluster is
// of that cluster's project; one of every cluster ("*"), or of a cluster that is gone, is
// the platform's.
func (a *API) authorizeSchedule(w http.ResponseWriter, r *http.Request, cluster, what string, min domain.Role) bool {
	project := ""
	if cluster != domain.AllClusters {
		c, err := a.store.GetCluster(r.Context(), cluster)
		switch {
		case err == nil:
			project = c.Project
		case !isNotFound(err):
			a.fail(w, r, err)
			return false
		}
	}
	return a.authorizeProject(w, r, project, what, min)
}

// scheduleVisible loads schedule id and checks the caller may act on it.
func (a *API) scheduleVisible(w http.ResponseWriter, r *http.Request, id string) bool {
	sc, err := a.schedules.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return false
	}
	return a.authorizeSchedule(w, r, sc.Cluster, fmt.Sprintf("schedule %s", id), "")
}
