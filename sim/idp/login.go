package idp

import (
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
)

// Paths and form fields of the login page. Browser tests fill #username and
// #password and click button[type=submit].
const (
	loginPath         = "/login"
	loginFieldRequest = "authRequestID"
	loginFieldUser    = "username"
	loginFieldPass    = "password"
	loggedOutPath     = "/logged-out"
)

//go:embed login.html
var loginHTML string

var loginTemplate = template.Must(template.New("login").Parse(loginHTML))

// loginPage is what login.html shows.
type loginPage struct {
	Action    string
	RequestID string
	Username  string
	Error     string
}

// loginHandler serves the login form and checks what is submitted; on
// success it sends the browser back to the op package's callback, which
// issues the code to the client's redirect URI.
type loginHandler struct {
	storage  *storage
	callback func(ctx context.Context, requestID string) string
	log      *slog.Logger
}

// ServeHTTP shows the form (GET) or signs the user in (POST).
func (h *loginHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot parse form", http.StatusBadRequest)
		return
	}
	id := r.FormValue(loginFieldRequest)
	switch r.Method {
	case http.MethodGet:
		h.render(w, r, http.StatusOK, loginPage{RequestID: id})
	case http.MethodPost:
		h.submit(w, r, id)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// submit checks the credentials for authorization request id.
func (h *loginHandler) submit(w http.ResponseWriter, r *http.Request, id string) {
	user := r.PostFormValue(loginFieldUser)
	err := h.storage.checkLogin(id, user, r.PostFormValue(loginFieldPass))
	switch {
	case errors.Is(err, errWrongCredentials):
		h.log.InfoContext(r.Context(), "oidc login refused", "username", user)
		h.render(w, r, http.StatusUnauthorized, loginPage{RequestID: id, Username: user, Error: err.Error()})
	case err != nil:
		h.log.InfoContext(r.Context(), "oidc login failed", "error", err)
		http.Error(w, "unknown or expired sign-in request", http.StatusBadRequest)
	default:
		h.log.InfoContext(r.Context(), "oidc login", "username", user)
		http.Redirect(w, r, h.callback(r.Context(), id), http.StatusSeeOther)
	}
}

// render writes the login page with the given status.
func (h *loginHandler) render(w http.ResponseWriter, r *http.Request, status int, page loginPage) {
	page.Action = loginPath
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := loginTemplate.Execute(w, page); err != nil {
		h.log.ErrorContext(r.Context(), "render login page", "error", err)
	}
}

// loggedOut is where end_session lands without a post_logout_redirect_uri.
func loggedOut(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("signed out\n"))
}
