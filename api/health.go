package api

import (
	"context"
	"net/http"
	"time"
)

func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz checks that Postgres and Temporal answer.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := a.store.Ping(ctx); err != nil {
		checks["postgres"] = "unreachable"
		status = http.StatusServiceUnavailable
		a.logger.Warn("readiness: postgres", "error", err)
	}
	if _, err := a.temporal.CheckHealth(ctx, nil); err != nil {
		checks["temporal"] = "unreachable"
		status = http.StatusServiceUnavailable
		a.logger.Warn("readiness: temporal", "error", err)
	}
	writeJSON(w, status, map[string]any{"status": map[bool]string{true: "ready", false: "not ready"}[status == http.StatusOK], "checks": checks})
}
