package api

import (
	"fmt"
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
)

// clusterSetProject checks that the clusters named (the fields they were named in, by
// name) all belong to one project that the caller sees and operates in, and returns it.
// A cluster the caller does not see is answered as one that does not exist; a cluster of
// another project than the first one's is 422: a ClusterSet spans one project's clusters.
func (a *API) clusterSetProject(w http.ResponseWriter, r *http.Request, clusters []string, field func(string) string) (string, bool) {
	p, _ := principal(r.Context())
	project, first := "", ""
	var bad []domain.FieldError
	for _, name := range clusters {
		c, err := a.store.GetCluster(r.Context(), name)
		if isNotFound(err) || err == nil && !p.Sees(c.Project) {
			bad = append(bad, domain.FieldError{Field: field(name), Message: fmt.Sprintf("cluster %q does not exist", name)})
			continue
		}
		if err != nil {
			a.fail(w, r, err)
			return "", false
		}
		switch {
		case project == "":
			project, first = c.Project, name
		case c.Project != project:
			bad = append(bad, domain.FieldError{Field: field(name), Message: fmt.Sprintf(
				"cluster %s is in project %s, cluster %s in project %s: a ClusterSet spans the clusters of one project", name, c.Project, first, project)})
		}
	}
	if len(bad) > 0 {
		a.unprocessable(w, r, bad...)
		return "", false
	}
	if project == "" {
		return "", true // nothing named; validation reports it
	}
	return project, a.authorizeProject(w, r, project, "project "+project, domain.RoleOperator)
}
