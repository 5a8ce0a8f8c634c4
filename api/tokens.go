package api

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// TokenCreated is the reply to POST /api/v1/tokens: the only time the secret is shown.
type TokenCreated struct {
	domain.APIToken
	Token string `json:"token"`
}

// createToken makes an API token. A platform-wide token (no project) is for platform
// admins to make; a project token, for the admins of that project, and never with more
// than their role there.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	var in domain.TokenInput
	if !a.decode(w, r, &in) {
		return
	}
	setAuditTarget(r.Context(), "token/"+in.Name)
	if err := in.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.mayManageTokens(w, r, in.Project) {
		return
	}
	addAuditDetail(r.Context(), "role", in.Role)
	if in.Project != "" {
		addAuditDetail(r.Context(), "project", in.Project)
	}
	secret, t, err := a.store.CreateTokenWith(r.Context(), inventory.TokenSpec{
		Name: in.Name, Role: domain.Role(in.Role), Project: in.Project, ExpiresAt: in.ExpiresAt,
	}, actorName(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, TokenCreated{APIToken: t, Token: secret})
}

// mayManageTokens checks that the caller may make or revoke tokens of project ("" for
// platform-wide ones): a platform admin may; a project's admin may for that project.
func (a *API) mayManageTokens(w http.ResponseWriter, r *http.Request, project string) bool {
	p, _ := principal(r.Context())
	if p.IsPlatformAdmin() {
		return true
	}
	if project == "" {
		a.writeProblem(w, r, Problem{Status: http.StatusForbidden,
			Detail: "only a platform admin makes platform-wide tokens; name the project the token acts in"})
		return false
	}
	return a.authorizeProject(w, r, project, "project "+project, domain.RoleAdmin)
}

// listTokens lists the tokens the caller manages: every one for a platform admin, else
// those of the projects it administers.
func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	pg := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	var f inventory.TokenFilter
	if p, _ := principal(r.Context()); !p.IsPlatformAdmin() {
		f.Projects, _ = p.ProjectsWith(domain.RoleAdmin)
		if f.Projects == nil {
			f.Projects = []string{}
		}
	}
	tokens, next, err := a.store.ListTokensWith(r.Context(), f, pg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(tokens, next))
}

// revokeToken revokes a token the caller manages; another is not found.
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	t, err := a.store.GetToken(r.Context(), name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if p, _ := principal(r.Context()); !p.IsPlatformAdmin() {
		if t.Project == "" || p.RoleIn(t.Project) != domain.RoleAdmin {
			a.fail(w, r, fmt.Errorf("token %s: %w", name, domain.ErrNotFound))
			return
		}
		setAuditProject(r.Context(), t.Project)
	}
	if err := a.store.RevokeToken(r.Context(), name); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Whoami is the reply to GET /api/v1/whoami: who the caller is and what it may do where,
// so that a client shows only what the caller may do. Role is the caller's highest role
// anywhere (its role in the one project of a project token).
type Whoami struct {
	Name         string                 `json:"name"`
	Kind         string                 `json:"kind"`
	Email        string                 `json:"email,omitempty"`
	Role         domain.Role            `json:"role"`
	PlatformRole domain.Role            `json:"platform_role,omitempty"`
	Projects     map[string]domain.Role `json:"projects"`
	// AllProjects says the caller sees every project (a platform role).
	AllProjects bool `json:"all_projects"`
}

func (a *API) whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := principal(r.Context())
	writeJSON(w, http.StatusOK, whoamiOf(p))
}

// whoamiOf says who p is and what it may do where.
func whoamiOf(p domain.Principal) Whoami {
	projects := map[string]domain.Role{}
	names, _ := p.VisibleProjects()
	for _, n := range names {
		projects[n] = p.RoleIn(n)
	}
	platform := p.Platform
	if p.TokenProject != "" {
		platform = ""
	}
	return Whoami{Name: p.Name, Kind: p.Kind, Email: p.Email, Role: p.MaxRole(),
		PlatformRole: platform, Projects: projects, AllProjects: p.SeesAll()}
}
