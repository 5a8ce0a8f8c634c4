package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
)

func (a *API) listClusterSets(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	sets, next, err := a.store.ListClusterSetsIn(r.Context(), visibleProjects(r).filter(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(sets, next))
}

func (a *API) getClusterSet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, clusterSetOf(r))
}

// withClusterSet loads the live ClusterSet named in the URL once, with its members and
// active operation, for the handler.
func (a *API) withClusterSet(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		set, err := a.store.GetClusterSet(r.Context(), chi.URLParam(r, "name"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !a.authorizeProject(w, r, set.Project, "clusterset "+set.Name, "") {
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keyEntity, set)))
	}
}

func clusterSetOf(r *http.Request) domain.ClusterSet {
	return r.Context().Value(keyEntity).(domain.ClusterSet)
}
