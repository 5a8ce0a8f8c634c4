package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// auditCompleteTimeout bounds the write that completes an audit event after its call.
const auditCompleteTimeout = 10 * time.Second

// audited runs a route's handler; a mutating route's (action set) under its audit event.
// The event is written before the handler runs, outcome pending: when that write fails
// the request is refused with 503 and the handler does not run, so no call acts without
// its record. Once the handler has answered (or panicked), the event is completed with
// the outcome, status, target and detail; a completion that fails is logged and the
// event stays pending, a record that the call was made.
func (a *API) audited(rt route, w http.ResponseWriter, r *http.Request, run http.HandlerFunc) {
	if rt.action == "" {
		run(w, r)
		return
	}
	p, _ := principal(r.Context())
	rec := &auditRecord{project: p.TokenProject}
	r = r.WithContext(context.WithValue(r.Context(), keyAudit, rec))
	id, err := a.store.BeginAudit(r.Context(), domain.AuditEvent{
		Actor: p.Name, Subject: p.Subject, Email: p.Email, Project: rec.project,
		Action: rt.action, Target: auditTargetFromURL(r), RequestID: requestID(r.Context()),
	})
	if err != nil {
		a.logger.ErrorContext(r.Context(), "audit event not written; request refused", "action", rt.action,
			"request_id", requestID(r.Context()), "error", err)
		a.writeProblem(w, r, Problem{Type: problemBase + "audit-unavailable", Title: "Audit log unavailable",
			Status: http.StatusServiceUnavailable, Detail: "the audit log cannot record this request, so it was not run; try again later"})
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		p := recover()
		status := sw.status
		if p != nil && status == 0 {
			status = http.StatusInternalServerError
		}
		a.completeAudit(r, rt, id, rec, status)
		if p != nil {
			panic(p) // observe answers and logs it
		}
	}()
	run(sw, r)
}

// completeAudit records the outcome of the call whose pending event is id.
func (a *API) completeAudit(r *http.Request, rt route, id int64, rec *auditRecord, status int) {
	target := rec.target
	if target == "" {
		target = auditTargetFromURL(r)
	}
	var detail json.RawMessage
	if rec.detail != nil {
		b, err := json.Marshal(rec.detail)
		if err != nil {
			a.logger.ErrorContext(r.Context(), "audit detail not encodable", "action", rt.action, "request_id", requestID(r.Context()), "error", err)
		}
		detail = b
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditCompleteTimeout)
	defer cancel()
	if err := a.store.CompleteAudit(ctx, id, auditOutcome(status), status, target, rec.project, detail); err != nil {
		a.logger.ErrorContext(r.Context(), "audit event not completed; it stays pending", "action", rt.action,
			"audit_event", id, "status", status, "request_id", requestID(r.Context()), "error", err)
	}
}

// auditOutcome is the audit outcome of a reply's status: denied for 403, failure for any
// other status of 400 or more (or none written).
func auditOutcome(status int) string {
	switch {
	case status == http.StatusForbidden:
		return domain.OutcomeDenied
	case status >= 400 || status == 0:
		return domain.OutcomeFailure
	}
	return domain.OutcomeSuccess
}
