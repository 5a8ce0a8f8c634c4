package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
	keyAudit
	keyEntity
	keyRouteRole
	keyCSRFRefusal
)

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an id: the client's X-Request-Id when it is sane,
// else a new one. It is echoed in the reply, logged, and stored with audit events.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets server-sent events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs every request (its access line: method, route pattern, status, duration,
// request id and token name; never a header or the query) and records its latency by route pattern (never by raw path,
// which would make one time series per cluster name).
func (a *API) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r, entry := withAccessEntry(r)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				a.logger.ErrorContext(r.Context(), "handler panic", "panic", p, "path", r.URL.Path, "request_id", requestID(r.Context()))
				if sw.status == 0 {
					a.writeProblem(sw, r, Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
				}
			}
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			a.metrics.HTTPDuration.WithLabelValues(r.Method, route, strconv.Itoa(status)).Observe(elapsed.Seconds())
			a.logger.Log(r.Context(), accessLogLevel(route), "http", "method", r.Method, "route", route, "status", status,
				"duration_ms", elapsed.Milliseconds(), "request_id", requestID(r.Context()), "actor", entry.actor)
		}()
		next.ServeHTTP(sw, r)
	})
}

// authenticate resolves the caller to a principal (see domain.Principal): the API token
// of the Authorization header, with the roles it holds, or replies 401.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok && r.Header.Get("Authorization") == "" {
			switch p, state, csrf := a.sessionPrincipal(w, r); state { // api/sessions.go
			case sessionRefused:
				return
			case sessionValid:
				next.ServeHTTP(w, withCSRFRefusal(withPrincipal(r, p), csrf))
				return
			}
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="clusterwright"`)
			a.writeProblem(w, r, Problem{Status: http.StatusUnauthorized, Detail: "send Authorization: Bearer <token>"})
			return
		}
		t, err := a.store.Authenticate(r.Context(), token)
		if err != nil {
			if r.Context().Err() == nil && !isNotFound(err) {
				a.fail(w, r, err)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="clusterwright", error="invalid_token"`)
			a.writeProblem(w, r, Problem{Status: http.StatusUnauthorized, Detail: "the token is unknown, expired or revoked"})
			return
		}
		p, err := a.store.TokenPrincipal(r.Context(), t)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, withPrincipal(r, p))
	})
}

// withPrincipal returns r with p as its caller, named in the access log.
func withPrincipal(r *http.Request, p domain.Principal) *http.Request {
	noteActor(r.Context(), p.Name)
	return r.WithContext(context.WithValue(r.Context(), keyPrincipal, p))
}

// bearerToken takes the token from an Authorization header; the scheme is
// case-insensitive (RFC 9110).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// principal returns the caller of an authenticated request.
func principal(ctx context.Context) (domain.Principal, bool) {
	p, ok := ctx.Value(keyPrincipal).(domain.Principal)
	return p, ok
}

func actorName(ctx context.Context) string {
	if p, ok := principal(ctx); ok {
		return p.Name
	}
	return ""
}

// auditRecord is what a mutating handler says about its call for the audit log.
type auditRecord struct {
	target  string
	project string
	detail  map[string]any
}

// setAuditProject names the project of what a call acts on, for its audit event.
func setAuditProject(ctx context.Context, project string) {
	if rec, ok := ctx.Value(keyAudit).(*auditRecord); ok {
		rec.project = project
	}
}

// setAuditTarget names what a mutating call acted on, when the URL does not say it.
func setAuditTarget(ctx context.Context, target string) {
	if rec, ok := ctx.Value(keyAudit).(*auditRecord); ok {
		rec.target = target
	}
}

// addAuditDetail adds a non-secret detail to the audit event of this call.
func addAuditDetail(ctx context.Context, key string, value any) {
	if rec, ok := ctx.Value(keyAudit).(*auditRecord); ok {
		if rec.detail == nil {
			rec.detail = map[string]any{}
		}
		rec.detail[key] = value
	}
}

// authorize lets the request through when the principal may call rt and the route's path
// and query parameters are text the database can store (checkParams). A platform route
// needs the role over the whole platform; any other needs it in at least one project
// here, and in the project of what it acts on once that is loaded (see authorizeProject).
// A mutating call made with a session cookie and a wrong CSRF token is refused (403).
// Every mutating route (action set) runs under its audit event (see audited): success,
// failure or denied.
func (a *API) authorize(rt route) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a.audited(rt, w, r, func(w http.ResponseWriter, r *http.Request) {
				if why := csrfRefusal(r.Context()); why != "" {
					addAuditDetail(r.Context(), "reason", "csrf")
					a.csrfRefused(w, r, why)
					return
				}
				p, _ := principal(r.Context())
				held := p.MaxRole()
				if rt.platform() {
					held = p.Platform
					if p.TokenProject != "" {
						held = ""
					}
				}
				if !held.Allows(rt.role) {
					detail := "you may not do this; it needs the role " + string(rt.role)
					if rt.platform() {
						detail += " over the whole platform"
					}
					a.writeProblem(w, r, Problem{Status: http.StatusForbidden, Detail: detail})
					return
				}
				if !a.checkParams(w, r) {
					return
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRouteRole, rt.role)))
			})
		})
	}
}

// auditTargetFromURL names the target by the route's URL parameters, e.g. "vcenter/vc1";
// a dev mode route is its own target, e.g. "dev/faults".
func auditTargetFromURL(r *http.Request) string {
	rc := chi.RouteContext(r.Context())
	if rc != nil && strings.HasPrefix(rc.RoutePattern(), "/dev/") {
		return strings.TrimPrefix(rc.RoutePattern(), "/")
	}
	if rc == nil || len(rc.URLParams.Values) == 0 {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(rc.RoutePattern(), "/api/v1/"), "/")
	kind := strings.TrimSuffix(parts[0], "s")
	return kind + "/" + strings.Join(rc.URLParams.Values, "/")
}
