package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
)

func (a *API) createIPPool(w http.ResponseWriter, r *http.Request) {
	var in domain.IPPoolInput
	if !a.decode(w, r, &in) {
		return
	}
	setAuditTarget(r.Context(), "ippool/"+in.Name)
	if err := in.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := a.store.CreateIPPool(r.Context(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/ippools/"+p.Name)
	writeJSON(w, http.StatusCreated, p)
}

func (a *API) listIPPools(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	pools, next, err := a.store.ListIPPools(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(pools, next))
}

// getIPPool replies with a pool and its leases; a caller that does not see every project
// sees only the leases of its projects' clusters (a node's name carries its cluster's).
func (a *API) getIPPool(w http.ResponseWriter, r *http.Request) {
	p, err := a.store.GetIPPool(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if p.Leases, err = a.visibleLeases(r, p.Leases); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// visibleLeases keeps the leases of the clusters the caller sees.
func (a *API) visibleLeases(r *http.Request, leases []domain.IPLease) ([]domain.IPLease, error) {
	caller, _ := principal(r.Context())
	if caller.SeesAll() || len(leases) == 0 {
		return leases, nil
	}
	var ids []string
	for _, l := range leases {
		if l.ClusterID != "" {
			ids = append(ids, l.ClusterID)
		}
	}
	projects, err := a.store.ClusterProjects(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	out := []domain.IPLease{}
	for _, l := range leases {
		if project, ok := projects[l.ClusterID]; ok && caller.Sees(project) {
			out = append(out, l)
		}
	}
	return out, nil
}
