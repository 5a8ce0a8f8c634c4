package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// The project endpoints (POST/GET /api/v1/projects, GET/PATCH/DELETE
// /api/v1/projects/{name}) manage projects: their members, quotas and allow-lists.
//
// Interim access rule, until per-project authorization: tokens are global, so reads
// (list, get) need the viewer role and every change (create, patch, delete) the admin
// role, the admin acting as platform admin. Members listed in a project do not yet
// change what a token may do.

// ProjectReply is a project with what it holds now: the reply to creating, reading and
// changing one project.
type ProjectReply struct {
	domain.Project
	Usage domain.ProjectUsage `json:"usage"`
}

// createProject (admin, see the interim rule above) creates a project (201 with its
// Location). A bad body is 400 naming each field, an unregistered vCenter or IP pool 400
// naming the entry, a taken name 409.
func (a *API) createProject(w http.ResponseWriter, r *http.Request) {
	var in domain.ProjectInput
	if !a.decode(w, r, &in) {
		return
	}
	setAuditTarget(r.Context(), "project/"+in.Name)
	if err := in.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := a.store.CreateProject(r.Context(), in, actorName(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/projects/"+p.Name)
	writeJSON(w, http.StatusCreated, ProjectReply{Project: p, Usage: domain.ProjectUsage{Project: p.Name}})
}

// listProjects (viewer) lists the live projects the caller sees by name, a page at a
// time, without their usage (read one project for it).
func (a *API) listProjects(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	projects, next, err := a.store.ListProjectsIn(r.Context(), visibleProjects(r).filter(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(projects, next))
}

// getProject (viewer) replies with one project and its usage; an unknown one, or one
// the caller does not see, is 404.
func (a *API) getProject(w http.ResponseWriter, r *http.Request) {
	p, err := a.store.GetProject(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.authorizeProject(w, r, p.Name, "project "+p.Name, "") {
		return
	}
	a.replyProject(w, r, http.StatusOK, p)
}

// patchProject (admin) changes a project (see domain.ProjectPatch): 400 naming each bad
// field (or a patch naming none), 404 for an unknown project or one the caller does not
// see. A project's admin may change its description and members; its quotas and what it
// may use are the platform admins' to change (403).
func (a *API) patchProject(w http.ResponseWriter, r *http.Request) {
	var patch domain.ProjectPatch
	if !a.decode(w, r, &patch) {
		return
	}
	name := chi.URLParam(r, "name")
	if !a.authorizeProject(w, r, name, "project "+name, domain.RoleAdmin) {
		return
	}
	if p, _ := principal(r.Context()); !p.IsPlatformAdmin() && (patch.Quotas != nil || patch.VCenters != nil || patch.IPPools != nil || patch.Placements != nil) {
		a.writeProblem(w, r, Problem{Status: http.StatusForbidden,
			Detail: "a project's quotas, vCenters, IP pools and placements are changed by a platform admin; a project admin changes its description and members"})
		return
	}
	addAuditDetail(r.Context(), "changed", projectPatchFields(patch))
	p, err := a.store.PatchProject(r.Context(), chi.URLParam(r, "name"), patch)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.replyProject(w, r, http.StatusOK, p)
}

// deleteProject (admin) deletes a project (204). The default project, and a project that
// still holds clusters or ClusterSets (the problem counts them), are 409; an unknown one
// 404.
func (a *API) deleteProject(w http.ResponseWriter, r *http.Request) {
	if err := a.store.DeleteProject(r.Context(), chi.URLParam(r, "name")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// replyProject writes p with its usage.
func (a *API) replyProject(w http.ResponseWriter, r *http.Request, status int, p domain.Project) {
	u, err := a.store.ProjectUsage(r.Context(), p.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, status, ProjectReply{Project: p, Usage: u})
}

// projectPatchFields names the fields a patch changes, for the audit event.
func projectPatchFields(p domain.ProjectPatch) []string {
	out := []string{}
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(p.Description != nil, "description")
	add(p.Members != nil, "members")
	add(p.Quotas != nil, "quotas")
	add(p.VCenters != nil, "vcenters")
	add(p.IPPools != nil, "ip_pools")
	add(p.Placements != nil, "placements")
	return out
}
