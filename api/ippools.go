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

func (a *API) getIPPool(w http.ResponseWriter, r *http.Request) {
	p, err := a.store.GetIPPool(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
