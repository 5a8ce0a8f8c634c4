package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// createSchedule records a Day-2 schedule and creates its Temporal schedule. Bad fields
// are 400; a kind this server does not run or a cluster that does not exist is 422.
func (a *API) createSchedule(w http.ResponseWriter, r *http.Request) {
	var in domain.ScheduleInput
	if !a.decode(w, r, &in) {
		return
	}
	setAuditTarget(r.Context(), "schedule/"+in.Kind+"/"+in.Cluster)
	in.Defaults()
	if err := in.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.schedulesServed(w, r) || !a.authorizeSchedule(w, r, in.Cluster, "cluster "+in.Cluster, "") {
		return
	}
	sc, err := a.schedules.Create(r.Context(), in, actorName(r.Context()))
	if v, ok := domain.AsValidation(err); ok {
		a.unprocessable(w, r, v.Fields...)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	setAuditTarget(r.Context(), "schedule/"+sc.ID)
	w.Header().Set("Location", "/api/v1/schedules/"+sc.ID)
	writeJSON(w, http.StatusCreated, sc)
}

// listSchedules lists schedules with their next runs; ?cluster= and ?kind= filter.
func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	f := inventory.ScheduleFilter{Cluster: r.URL.Query().Get("cluster"), Kind: oneOf(r, &v, "kind", domain.ScheduleKinds),
		Projects: visibleProjects(r).filter()}
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.schedulesServed(w, r) {
		return
	}
	schedules, next, err := a.schedules.List(r.Context(), f, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(schedules, next))
}

func (a *API) getSchedule(w http.ResponseWriter, r *http.Request) {
	if !a.schedulesServed(w, r) || !a.scheduleVisible(w, r, chi.URLParam(r, "id")) {
		return
	}
	sc, err := a.schedules.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

func (a *API) pauseSchedule(w http.ResponseWriter, r *http.Request) { a.setSchedulePaused(w, r, true) }
func (a *API) unpauseSchedule(w http.ResponseWriter, r *http.Request) {
	a.setSchedulePaused(w, r, false)
}

func (a *API) setSchedulePaused(w http.ResponseWriter, r *http.Request, paused bool) {
	id := chi.URLParam(r, "id")
	setAuditTarget(r.Context(), "schedule/"+id)
	if !a.schedulesServed(w, r) || !a.scheduleVisible(w, r, id) {
		return
	}
	sc, err := a.schedules.SetPaused(r.Context(), id, paused, actorName(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// triggerSchedule starts a run now (even while paused); the run goes on after the reply.
func (a *API) triggerSchedule(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	setAuditTarget(r.Context(), "schedule/"+id)
	if !a.schedulesServed(w, r) || !a.scheduleVisible(w, r, id) {
		return
	}
	if err := a.schedules.Trigger(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	sc, err := a.schedules.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

func (a *API) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	setAuditTarget(r.Context(), "schedule/"+id)
	if !a.schedulesServed(w, r) || !a.scheduleVisible(w, r, id) {
		return
	}
	if err := a.schedules.Delete(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// schedulesServed answers 503 when this server was built without schedules.
func (a *API) schedulesServed(w http.ResponseWriter, r *http.Request) bool {
	if a.schedules != nil {
		return true
	}
	a.writeProblem(w, r, Problem{Type: problemBase + "unavailable", Status: http.StatusServiceUnavailable,
		Detail: "schedules are not available on this server"})
	return false
}
