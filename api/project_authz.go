package api

import (
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
)

// authorizeProject reports whether the caller may act with role min in the project
// named project; when not, it has replied (404 when the caller may not see the project,
// so that names do not leak, else 403).
//
// Placeholder until per-project authorization lands (the lead's rewrite of
// authentication and authorization replaces this file): it allows every caller that
// the route's own role check let through.
func (a *API) authorizeProject(w http.ResponseWriter, r *http.Request, project string, min domain.Role) bool {
	return true
}
