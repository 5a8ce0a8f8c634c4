package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// Paths and limits of the single sign-on endpoints.
const (
	callbackPath = "/auth/callback"
	// loginCookie carries a sign-in in progress (state, nonce, PKCE verifier, where to
	// go after) from /auth/login to /auth/callback.
	loginCookie     = "cw_login"
	loginCookiePath = "/auth/"
	loginTTL        = 10 * time.Minute
	// loginCodeTTL is how long cwctl has to exchange its code.
	loginCodeTTL = 2 * time.Minute
	maxReturnTo  = 1024
)

// authRoutes are the single sign-on endpoints, served without a token; without single
// sign-on they answer 404 (GET /auth/session says sso: false).
func (a *API) authRoutes() []route {
	return []route{
		{"GET", "/auth/login", "", "", a.ssoLogin},
		{"GET", callbackPath, "", "", a.ssoCallback},
		{"POST", "/auth/logout", "", "", a.ssoLogout},
		{"GET", "/auth/session", "", "", a.ssoSession},
		{"POST", "/auth/token", "", "", a.ssoToken},
	}
}

// pendingLogin is the login cookie's content.
type pendingLogin struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r,omitempty"`
	// A `cwctl login`: where to send the code, with cwctl's state and PKCE challenge.
	CLIRedirect  string `json:"c,omitempty"`
	CLIState     string `json:"cs,omitempty"`
	CLIChallenge string `json:"cc,omitempty"`
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// noSSO answers 404 when single sign-on is not configured.
func (a *API) noSSO(w http.ResponseWriter, r *http.Request) bool {
	if a.sso != nil {
		return false
	}
	a.writeProblem(w, r, Problem{Type: problemBase + "sso-not-configured", Status: http.StatusNotFound,
		Detail: "single sign-on is not configured on this server (oidc-issuer-url); sign in with an API token"})
	return true
}

// validReturnTo accepts a path of this origin only: "/..." but not "//host" or "/\host".
func validReturnTo(s string) bool {
	if s == "" || len(s) > maxReturnTo || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' })
}

// validCLIRedirect accepts http://127.0.0.1:PORT/path, [::1] or localhost: where a
// cwctl on this person's machine listens.
func validCLIRedirect(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Port() == "" || len(s) > 512 {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// ssoLogin starts a sign-in: it keeps state, nonce and the PKCE verifier in a short-lived
// cookie and sends the browser to the provider. ?return_to= is where the portal goes
// after (a path of this origin); cwctl login adds cli_redirect, cli_state and
// cli_challenge.
func (a *API) ssoLogin(w http.ResponseWriter, r *http.Request) {
	if a.noSSO(w, r) {
		return
	}
	q := r.URL.Query()
	pl := pendingLogin{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier()}
	var bad []domain.FieldError
	if rt := q.Get("return_to"); rt != "" {
		if !validReturnTo(rt) {
			bad = append(bad, domain.FieldError{Field: "return_to", Message: "must be a path on this server, starting with a single /"})
		}
		pl.ReturnTo = rt
	}
	if cli := q.Get("cli_redirect"); cli != "" {
		pl.CLIRedirect, pl.CLIState, pl.CLIChallenge = cli, q.Get("cli_state"), q.Get("cli_challenge")
		if !validCLIRedirect(cli) {
			bad = append(bad, domain.FieldError{Field: "cli_redirect", Message: "must be http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/..."})
		}
		if pl.CLIState == "" || len(pl.CLIState) > 128 {
			bad = append(bad, domain.FieldError{Field: "cli_state", Message: "is required with cli_redirect, at most 128 characters"})
		}
		if len(pl.CLIChallenge) != 43 {
			bad = append(bad, domain.FieldError{Field: "cli_challenge", Message: "is required with cli_redirect: the S256 PKCE challenge, 43 characters"})
		}
	}
	if len(bad) > 0 {
		a.invalid(w, r, bad...)
		return
	}
	p, _, err := a.sso.discover(r.Context())
	if err != nil {
		a.logger.ErrorContext(r.Context(), "single sign-on unavailable", "error", err, "request_id", requestID(r.Context()))
		a.writeProblem(w, r, Problem{Type: problemBase + "sso-unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the identity provider cannot be reached; try again later"})
		return
	}
	b, _ := json.Marshal(pl)
	a.setCookie(w, r, loginCookie, base64.RawURLEncoding.EncodeToString(b), loginCookiePath, time.Now().Add(loginTTL))
	cfg := a.sso.oauth(r, p)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, cfg.AuthCodeURL(pl.State, oidc.Nonce(pl.Nonce), oauth2.S256ChallengeOption(pl.Verifier)), http.StatusFound)
}

// readPendingLogin reads and clears the login cookie.
func (a *API) readPendingLogin(w http.ResponseWriter, r *http.Request) (pendingLogin, bool) {
	var pl pendingLogin
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return pl, false
	}
	a.clearCookie(w, r, loginCookie, loginCookiePath)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &pl) != nil || pl.State == "" || pl.Nonce == "" || pl.Verifier == "" {
		return pl, false
	}
	if (pl.ReturnTo != "" && !validReturnTo(pl.ReturnTo)) || (pl.CLIRedirect != "" && !validCLIRedirect(pl.CLIRedirect)) {
		return pl, false
	}
	return pl, true
}

// signInRefused answers a sign-in that cannot complete: a problem, never the code or a token.
func (a *API) signInRefused(w http.ResponseWriter, r *http.Request, status int, detail string) {
	a.writeProblem(w, r, Problem{Type: problemBase + "sign-in-failed", Title: "Sign-in failed", Status: status, Detail: detail})
}

// ssoCallback completes a sign-in: it checks the state, exchanges the code (with the
// PKCE verifier), verifies the ID token and its nonce, and maps the person's groups to
// roles. The portal gets a session cookie; cwctl gets a one-time code on its loopback.
func (a *API) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if a.noSSO(w, r) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	pl, ok := a.readPendingLogin(w, r)
	q := r.URL.Query()
	if !ok {
		a.signInRefused(w, r, http.StatusBadRequest, "no sign-in is in progress in this browser (or it took over 10 minutes); start again at /auth/login")
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pl.State)) != 1 {
		a.signInRefused(w, r, http.StatusBadRequest, "the state does not match this browser's sign-in; start again at /auth/login")
		return
	}
	if e := q.Get("error"); e != "" {
		a.signInRefused(w, r, http.StatusUnauthorized, "the identity provider refused the sign-in ("+errorCode(e)+")")
		return
	}
	p, verifier, err := a.sso.discover(r.Context())
	if err != nil {
		a.logger.ErrorContext(r.Context(), "single sign-on unavailable", "error", err, "request_id", requestID(r.Context()))
		a.signInRefused(w, r, http.StatusServiceUnavailable, "the identity provider cannot be reached; try again later")
		return
	}
	cfg := a.sso.oauth(r, p)
	tok, err := cfg.Exchange(a.sso.client(r.Context()), q.Get("code"), oauth2.VerifierOption(pl.Verifier))
	if err != nil {
		a.logger.WarnContext(r.Context(), "sign-in: code exchange refused", "error", err, "request_id", requestID(r.Context()))
		a.signInRefused(w, r, http.StatusUnauthorized, "the identity provider did not accept the sign-in's code; start again")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(a.sso.client(r.Context()), raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pl.Nonce)) != 1 {
		a.logger.WarnContext(r.Context(), "sign-in: ID token refused", "error", err, "request_id", requestID(r.Context()))
		a.signInRefused(w, r, http.StatusUnauthorized, "the identity provider's ID token did not verify; start again")
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil || idt.Subject == "" {
		a.signInRefused(w, r, http.StatusUnauthorized, "the ID token carries no subject")
		return
	}
	email, _ := claims["email"].(string)
	granted := a.sso.cfg.GroupRoles.Grant(groupsOf(claims[a.sso.cfg.GroupsClaim]))
	person, err := a.store.PersonPrincipal(r.Context(), idt.Subject, email, granted)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if person.MaxRole() == "" {
		a.signInRefused(w, r, http.StatusForbidden, "signed in as "+person.Name+", but no group of yours maps to a role and you are no member of any project; ask an administrator")
		return
	}
	if pl.CLIRedirect != "" {
		a.cliRedirect(w, r, pl, inventory.LoginCode{Subject: idt.Subject, Email: email, Granted: granted})
		return
	}
	secret, sess, err := a.store.CreateSession(r.Context(), idt.Subject, email, granted, a.sso.cfg.SessionTTL)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.setCookie(w, r, sessionCookie, secret, "/", sess.ExpiresAt)
	a.appendAudit(r, person, "session.create", fmt.Sprintf("session/%d", sess.ID), http.StatusFound)
	to := pl.ReturnTo
	if to == "" {
		to = "/"
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// cliRedirect sends the browser back to cwctl's loopback listener with a one-time code
// (never the token: cwctl exchanges the code, with its PKCE verifier, at /auth/token).
func (a *API) cliRedirect(w http.ResponseWriter, r *http.Request, pl pendingLogin, who inventory.LoginCode) {
	code, err := a.store.CreateLoginCode(r.Context(), pl.CLIChallenge, who, loginCodeTTL)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	u, _ := url.Parse(pl.CLIRedirect) // checked by readPendingLogin
	q := u.Query()
	q.Set("code", code)
	q.Set("state", pl.CLIState)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// groupsOf reads a groups claim: a list of strings, or one string.
func groupsOf(v any) []string {
	switch g := v.(type) {
	case string:
		return []string{g}
	case []any:
		out := make([]string, 0, len(g))
		for _, x := range g {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// appendAudit records a completed event of the single sign-on endpoints (which run
// outside the audited routes), its outcome by its status; a failure is logged.
func (a *API) appendAudit(r *http.Request, p domain.Principal, action, target string, status int) {
	err := a.store.AppendAudit(r.Context(), domain.AuditEvent{Actor: p.Name, Subject: p.Subject, Email: p.Email, Action: action, Target: target,
		RequestID: requestID(r.Context()), Outcome: auditOutcome(status), Status: status})
	if err != nil {
		a.logger.ErrorContext(r.Context(), "audit event not written", "action", action, "request_id", requestID(r.Context()), "error", err)
	}
}

// ssoLogout ends the session of the cookie and clears it. Like every mutating call made
// with the cookie, it needs the CSRF token in X-CSRF-Token.
func (a *API) ssoLogout(w http.ResponseWriter, r *http.Request) {
	if a.noSSO(w, r) {
		return
	}
	p, state, csrf := a.sessionPrincipal(w, r)
	switch {
	case state == sessionRefused:
		return
	case state == sessionNone:
		a.clearCookie(w, r, sessionCookie, "/")
		w.WriteHeader(http.StatusNoContent)
		return
	case csrf != "":
		a.appendAudit(r, p, "session.delete", "session", http.StatusForbidden)
		a.csrfRefused(w, r, csrf)
		return
	}
	c, _ := r.Cookie(sessionCookie)
	if err := a.store.DeleteSession(r.Context(), c.Value); err != nil && !isNotFound(err) {
		a.fail(w, r, err)
		return
	}
	a.clearCookie(w, r, sessionCookie, "/")
	a.appendAudit(r, p, "session.delete", "session", http.StatusNoContent)
	w.WriteHeader(http.StatusNoContent)
}

// SessionInfo is the reply to GET /auth/session: whether single sign-on is on and, with
// a live session cookie, who is signed in, with the CSRF token to send on mutating calls.
type SessionInfo struct {
	SSO     bool         `json:"sso"`
	Session *SessionUser `json:"session"`
}

// SessionUser is the person of a session: who they are and what they may do where (as
// GET /api/v1/whoami says), their subject, and the CSRF token of the session.
type SessionUser struct {
	Whoami
	Subject   string     `json:"subject"`
	CSRFToken string     `json:"csrf_token"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// ssoSession tells the portal whether single sign-on is on and who the cookie's session is.
func (a *API) ssoSession(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	info := SessionInfo{SSO: a.sso != nil}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && a.sso != nil {
		p, ok := a.personOfSession(w, r, c.Value)
		if !ok {
			return
		}
		info.Session = &SessionUser{Whoami: whoamiOf(p), Subject: p.Subject, CSRFToken: csrfToken(c.Value), ExpiresAt: p.ExpiresAt}
	}
	writeJSON(w, http.StatusOK, info)
}

// LoginTokenRequest is the body of POST /auth/token: cwctl's one-time code and the PKCE
// verifier of the challenge it started with.
type LoginTokenRequest struct {
	Code         string `json:"code"`
	CodeVerifier string `json:"code_verifier"`
}

// LoginToken is the reply to POST /auth/token: a personal token, shown once.
type LoginToken struct {
	Token     string      `json:"token"`
	Name      string      `json:"name"`
	Role      domain.Role `json:"role"`
	Subject   string      `json:"subject"`
	Email     string      `json:"email,omitempty"`
	ExpiresAt *time.Time  `json:"expires_at"`
}

// ssoToken exchanges a `cwctl login` code for a personal token of the person who signed
// in (owned by them, with their highest role, expiring after the login token TTL).
func (a *API) ssoToken(w http.ResponseWriter, r *http.Request) {
	if a.noSSO(w, r) {
		return
	}
	var in LoginTokenRequest
	if !a.decode(w, r, &in) {
		return
	}
	if in.Code == "" || in.CodeVerifier == "" {
		a.invalid(w, r, domain.FieldError{Field: "code", Message: "code and code_verifier are required"})
		return
	}
	who, challenge, err := a.store.TakeLoginCode(r.Context(), in.Code)
	if err != nil {
		if !isNotFound(err) {
			a.fail(w, r, err)
			return
		}
		a.signInRefused(w, r, http.StatusUnauthorized, "the code is unknown, used or expired; run cwctl login again")
		return
	}
	sum := sha256.Sum256([]byte(in.CodeVerifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		a.signInRefused(w, r, http.StatusUnauthorized, "the code_verifier does not match the challenge the sign-in started with")
		return
	}
	person, err := a.store.PersonPrincipal(r.Context(), who.Subject, who.Email, who.Granted)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	expires := time.Now().Add(a.sso.cfg.LoginTokenTTL).UTC().Truncate(time.Second)
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "login-" + tokenNamePart(person.Name) + "-" + hex.EncodeToString(suffix)
	secret, t, err := a.store.CreateTokenWith(r.Context(), inventory.TokenSpec{Name: name, Role: person.MaxRole(),
		Owner: who.Subject, OwnerEmail: who.Email, ExpiresAt: &expires, OwnerGranted: who.Granted}, person.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.appendAudit(r, person, "token.create", "token/"+t.Name, http.StatusCreated)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, LoginToken{Token: secret, Name: t.Name, Role: t.Role, Subject: who.Subject, Email: who.Email, ExpiresAt: t.ExpiresAt})
}

// tokenNamePart makes a person's name fit a token name: lower-case letters, digits and
// '-', at most 40 characters.
func tokenNamePart(s string) string {
	s, _, _ = strings.Cut(strings.ToLower(s), "@")
	b := []rune{}
	for _, c := range s {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b = append(b, c)
		} else if len(b) > 0 && b[len(b)-1] != '-' {
			b = append(b, '-')
		}
		if len(b) >= 40 {
			break
		}
	}
	out := strings.Trim(string(b), "-")
	if out == "" {
		out = "person"
	}
	return out
}

// errorCode keeps an OAuth error code printable: letters, digits, '_', '.' and '-', at
// most 64 of them.
func errorCode(s string) string {
	out := strings.Map(func(c rune) rune {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' {
			return c
		}
		return -1
	}, s)
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}
