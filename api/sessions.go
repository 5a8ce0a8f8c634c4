package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// Cookies and headers of single sign-on sessions.
const (
	// sessionCookie holds the session's secret; HttpOnly, SameSite=Lax, Secure over TLS.
	sessionCookie = "cw_session"
	// csrfHeader must carry the session's CSRF token on every mutating call made with
	// the session cookie.
	csrfHeader = "X-CSRF-Token"
)

// sessionState is what sessionPrincipal found.
type sessionState int

const (
	// sessionNone: no session cookie (or no single sign-on); the caller needs a token.
	sessionNone sessionState = iota
	// sessionValid: the principal is the signed-in person.
	sessionValid
	// sessionRefused: the reply is written (401 for an ended or expired session); stop.
	sessionRefused
)

// csrfToken is the CSRF token of the session whose secret is secret: derived from it, so
// that it is never stored, and telling nothing of the secret.
func csrfToken(secret string) string {
	h := sha256.Sum256([]byte("clusterwright csrf v1\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// mutating reports whether a method changes something (and so needs the CSRF token).
func mutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// sessionPrincipal authenticates a request without an Authorization header by its
// session cookie. A cookie of an ended or expired session is answered 401 and cleared
// (sessionRefused). For a mutating call it also checks the session's CSRF token in
// X-CSRF-Token (compared in constant time): csrf says why it is refused ("" when it is
// right, or not needed); the caller refuses the call with csrfRefused, under its audit
// event.
func (a *API) sessionPrincipal(w http.ResponseWriter, r *http.Request) (p domain.Principal, state sessionState, csrf string) {
	c, err := r.Cookie(sessionCookie)
	if a.sso == nil || err != nil || c.Value == "" {
		return domain.Principal{}, sessionNone, ""
	}
	p, ok := a.personOfSession(w, r, c.Value)
	if !ok {
		return p, sessionRefused, ""
	}
	if mutating(r.Method) {
		got := r.Header.Get(csrfHeader)
		switch {
		case got == "":
			csrf = "the X-CSRF-Token header is missing"
		case subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(c.Value))) != 1:
			csrf = "the X-CSRF-Token header does not match the session's"
		}
	}
	return p, sessionValid, csrf
}

// personOfSession returns who the live session of secret is, or answers 401 (ended or
// expired; the cookie is cleared) or 500.
func (a *API) personOfSession(w http.ResponseWriter, r *http.Request, secret string) (domain.Principal, bool) {
	sess, err := a.store.GetSession(r.Context(), secret)
	if err != nil {
		if r.Context().Err() == nil && !isNotFound(err) {
			a.fail(w, r, err)
			return domain.Principal{}, false
		}
		a.clearCookie(w, r, sessionCookie, "/")
		a.writeProblem(w, r, Problem{Type: problemBase + "session-ended", Title: "Session ended", Status: http.StatusUnauthorized,
			Detail: "the session has ended or expired; sign in again"})
		return domain.Principal{}, false
	}
	p, err := a.store.PersonPrincipal(r.Context(), sess.Subject, sess.Email, sess.Granted)
	if err != nil {
		a.fail(w, r, err)
		return p, false
	}
	p.ExpiresAt = &sess.ExpiresAt
	return p, true
}

// withCSRFRefusal returns r carrying why its CSRF token is refused ("" for none), for
// authorize to answer under the call's audit event.
func withCSRFRefusal(r *http.Request, why string) *http.Request {
	if why == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), keyCSRFRefusal, why))
}

// csrfRefusal is why the request's CSRF token is refused, or "".
func csrfRefusal(ctx context.Context) string {
	why, _ := ctx.Value(keyCSRFRefusal).(string)
	return why
}

// csrfRefused answers a mutating cookie call without the right CSRF token: 403, type csrf.
func (a *API) csrfRefused(w http.ResponseWriter, r *http.Request, why string) {
	a.writeProblem(w, r, Problem{Type: problemBase + "csrf", Title: "CSRF token refused", Status: http.StatusForbidden,
		Detail: why + ": a call made with the session cookie that changes something must send the CSRF token of GET /auth/session in X-CSRF-Token"})
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure over TLS; maxAge 0 makes it
// last for the browser session.
func (a *API) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, Expires: expires, HttpOnly: true,
		Secure: a.sso != nil && a.sso.secure(r), SameSite: http.SameSiteLaxMode})
}

// clearCookie removes a cookie set by setCookie.
func (a *API) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: a.sso != nil && a.sso.secure(r), SameSite: http.SameSiteLaxMode})
}
