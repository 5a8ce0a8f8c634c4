package api

import (
	"fmt"
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
)

// platformRoutes act on the platform itself, not inside a project: the caller needs the
// route's role over the whole platform (a platform-wide token or a platform admin).
var platformRoutes = map[string]bool{
	"POST /api/v1/vcenters":             true,
	"PATCH /api/v1/vcenters/{name}":     true,
	"POST /api/v1/vcenters/{name}/sync": true,
	"POST /api/v1/ippools":              true,
	"POST /api/v1/projects":             true,
	"DELETE /api/v1/projects/{name}":    true,
	"GET /dev/faults":                   true,
	"POST /dev/faults":                  true,
	"DELETE /dev/faults":                true,
}

// platform reports whether rt is a platform route.
func (rt route) platform() bool { return platformRoutes[rt.method+" "+rt.pattern] }

// routeRole is the role the matched route needs.
func routeRole(r *http.Request) domain.Role {
	role, _ := r.Context().Value(keyRouteRole).(domain.Role)
	return role
}

// authorizeProject checks that the caller may act on an object of the project named
// project with role min ("" for the route's role). An object of a project the caller
// does not see is answered exactly as one that does not exist (404 naming what, e.g.
// "cluster dev-east"), so that names do not leak across projects; a role too low is 403.
// An empty project is the platform's own (an operation on a vCenter, say): only a
// principal that sees every project sees it.
func (a *API) authorizeProject(w http.ResponseWriter, r *http.Request, project, what string, min domain.Role) bool {
	p, _ := principal(r.Context())
	if min == "" {
		min = routeRole(r)
	}
	role := p.RoleIn(project)
	if project == "" {
		role = ""
		if p.SeesAll() {
			role = p.Platform
		}
	}
	if role == "" {
		a.fail(w, r, fmt.Errorf("%s: %w", what, domain.ErrNotFound))
		return false
	}
	setAuditProject(r.Context(), project)
	if !role.Allows(min) {
		a.writeProblem(w, r, Problem{Status: http.StatusForbidden,
			Detail: fmt.Sprintf("your role in project %s is %s; this needs %s", project, role, min)})
		return false
	}
	return true
}

// projectScope is what a list shows the caller: every project (all), or only those named.
type projectScope struct {
	all   bool
	names []string
}

// visibleProjects is the scope of the caller's lists: the projects it sees, narrowed to
// the one named by ?project= when given (a project it does not see shows nothing).
func visibleProjects(r *http.Request) projectScope {
	p, _ := principal(r.Context())
	names, all := p.VisibleProjects()
	if want := r.URL.Query().Get("project"); want != "" {
		if all || p.Sees(want) {
			return projectScope{names: []string{want}}
		}
		return projectScope{names: []string{}}
	}
	return projectScope{all: all, names: names}
}

// filter is the scope as an inventory filter: nil for every project.
func (s projectScope) filter() []string {
	if s.all {
		return nil
	}
	return s.names
}
