package api

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

func (a *API) listOperations(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	q := r.URL.Query()
	f := inventory.OperationFilter{Cluster: q.Get("cluster"), Kind: q.Get("kind"), Actor: q.Get("actor"),
		State: oneOf(r, &v, "state", domain.OperationStates), Target: q.Get("target"),
		Since: timeParam(r, &v, "since"), Until: timeParam(r, &v, "until"), Projects: visibleProjects(r).filter()}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	ops, next, err := a.store.ListOperations(r.Context(), f, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(ops, next))
}

// withOperation loads the operation named in the URL once.
func (a *API) withOperation(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		op, err := a.store.GetOperation(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !a.authorizeProject(w, r, op.Project, "operation "+op.ID, "") {
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keyEntity, op)))
	}
}

func operationOf(r *http.Request) domain.Operation {
	return r.Context().Value(keyEntity).(domain.Operation)
}

func (a *API) getOperation(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, operationOf(r))
}

// retryOperation runs the failed step of an operation AwaitingDecision again, as the
// caller decided; 409 when it does not wait for a decision.
func (a *API) retryOperation(w http.ResponseWriter, r *http.Request) {
	op := operationOf(r)
	if r.ContentLength != 0 { // the body is optional; when sent, it is an empty object
		var empty struct{}
		if !a.decode(w, r, &empty) {
			return
		}
	}
	res, err := a.ops.Retry(r.Context(), op, actorName(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	addAuditDetail(r.Context(), "step", res.Step)
	addAuditDetail(r.Context(), "run", res.Run)
	a.replyOperation(w, r, op.ID)
}

// cancelOperation cancels a running or waiting operation: it compensates.
func (a *API) cancelOperation(w http.ResponseWriter, r *http.Request) {
	op := operationOf(r)
	if err := a.ops.Cancel(r.Context(), op); err != nil {
		a.fail(w, r, err)
		return
	}
	a.replyOperation(w, r, op.ID)
}

// replyOperation answers 202 with the operation as it is now.
func (a *API) replyOperation(w http.ResponseWriter, r *http.Request, id string) {
	op, err := a.store.GetOperation(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, op)
}

// auditScope narrows f to the events the caller may read: every event for a principal
// that sees every project, else the events of the projects it administers (a project's
// admin sees only its project's audit); ?project= narrows further. A caller that
// administers no project may not read the audit log (403).
func (a *API) auditScope(w http.ResponseWriter, r *http.Request, f *inventory.AuditFilter) bool {
	p, _ := principal(r.Context())
	want := r.URL.Query().Get("project")
	if p.SeesAll() {
		if want != "" {
			f.Projects = []string{want}
		}
		return true
	}
	admin, _ := p.ProjectsWith(domain.RoleAdmin)
	if len(admin) == 0 {
		a.writeProblem(w, r, Problem{Status: http.StatusForbidden, Detail: "the audit log is for the admins of a project or of the platform"})
		return false
	}
	f.Projects = admin
	if want != "" {
		f.Projects = []string{}
		if p.RoleIn(want) == domain.RoleAdmin {
			f.Projects = []string{want}
		}
	}
	return true
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	q := r.URL.Query()
	f := inventory.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	if !a.auditScope(w, r, &f) {
		return
	}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			v.Add("since", "must be an RFC 3339 time")
		}
		f.Since = t
	}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	events, next, err := a.store.ListAudit(r.Context(), f, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(events, next))
}
