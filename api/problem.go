package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
)

// Problem is an RFC 9457 problem details reply.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []domain.FieldError `json:"errors,omitempty"`
	Operation string              `json:"operation,omitempty"` // the running operation, on 409 busy
}

const problemBase = "https://clusterwright.dev/problems/"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	p.RequestID = requestID(r.Context())
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// invalid replies 400 naming every bad field.
func (a *API) invalid(w http.ResponseWriter, r *http.Request, fields ...domain.FieldError) {
	a.writeProblem(w, r, Problem{Type: problemBase + "invalid-input", Title: "Invalid input", Status: http.StatusBadRequest,
		Detail: "one or more fields are invalid", Errors: fields})
}

// unprocessable replies 422 naming every field that the inventory cannot satisfy.
func (a *API) unprocessable(w http.ResponseWriter, r *http.Request, fields ...domain.FieldError) {
	a.writeProblem(w, r, Problem{Type: problemBase + "preflight-failed", Title: "Preflight failed",
		Status: http.StatusUnprocessableEntity, Detail: "the inventory cannot satisfy one or more fields", Errors: fields})
}

// fail maps an error to its reply. Domain errors keep their message (they never carry
// secrets); anything else is logged and answered with a generic 500.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var busy *domain.BusyError
	var notAwaiting *domain.NotAwaitingError
	var quota *domain.QuotaError
	if errors.As(err, &quota) {
		a.quotaExceeded(w, r, quota)
		return
	}
	if v, ok := domain.AsValidation(err); ok {
		a.invalid(w, r, v.Fields...)
		return
	}
	switch {
	case errors.As(err, &busy):
		a.writeProblem(w, r, Problem{Type: problemBase + "busy", Title: "Busy", Status: http.StatusConflict,
			Detail: busy.Error(), Operation: busy.Operation})
	case errors.As(err, &notAwaiting):
		a.writeProblem(w, r, Problem{Type: problemBase + "not-awaiting-decision", Title: "Not awaiting a decision",
			Status: http.StatusConflict, Detail: notAwaiting.Error()})
	case errors.Is(err, domain.ErrUnavailable):
		a.writeProblem(w, r, Problem{Type: problemBase + "unavailable", Status: http.StatusServiceUnavailable, Detail: err.Error()})
	case errors.Is(err, domain.ErrNotFound):
		a.writeProblem(w, r, Problem{Type: problemBase + "not-found", Status: http.StatusNotFound, Detail: err.Error()})
	case errors.Is(err, domain.ErrConflict):
		a.writeProblem(w, r, Problem{Type: problemBase + "conflict", Status: http.StatusConflict, Detail: err.Error()})
	case errors.Is(err, domain.ErrExhausted):
		a.writeProblem(w, r, Problem{Type: problemBase + "exhausted", Status: http.StatusConflict, Detail: err.Error()})
	case r.Context().Err() != nil:
		a.writeProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Detail: "the request was canceled"})
	default:
		a.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "request_id", requestID(r.Context()), "error", err)
		a.writeProblem(w, r, Problem{Status: http.StatusInternalServerError, Detail: "internal error; the request id identifies it in the server log"})
	}
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
