package api

import (
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

func (a *API) listClusters(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	f := inventory.ClusterFilter{Phase: oneOf(r, &v, "phase", domain.ClusterPhases), VCenter: r.URL.Query().Get("vcenter"),
		Projects: visibleProjects(r).filter()}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	clusters, next, err := a.store.ListClusters(r.Context(), f, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(clusters, next))
}

// ClusterReply is the body of GET /api/v1/clusters/{name}: the cluster and the versions
// it can be upgraded to in one step (what the portal offers).
type ClusterReply struct {
	domain.Cluster
	UpgradeTargets []string `json:"upgrade_targets"`
}

func (a *API) getCluster(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	targets := domain.UpgradeTargets(c.Spec.KubernetesVersion)
	if targets == nil {
		targets = []string{}
	}
	writeJSON(w, http.StatusOK, ClusterReply{Cluster: c, UpgradeTargets: targets})
}

func (a *API) listKubernetesVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, domain.KubernetesVersions())
}
