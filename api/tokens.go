package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// TokenCreated is the reply to POST /api/v1/tokens: the only time the secret is shown.
type TokenCreated struct {
	domain.APIToken
	Token string `json:"token"`
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	var in domain.TokenInput
	if !a.decode(w, r, &in) {
		return
	}
	setAuditTarget(r.Context(), "token/"+in.Name)
	if err := in.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	addAuditDetail(r.Context(), "role", in.Role)
	secret, t, err := a.store.CreateToken(r.Context(), in.Name, domain.Role(in.Role), actorName(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, TokenCreated{APIToken: t, Token: secret})
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	tokens, next, err := a.store.ListTokens(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(tokens, next))
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := a.store.RevokeToken(r.Context(), chi.URLParam(r, "name")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Whoami is the reply to GET /api/v1/whoami: the caller's token name and role, so that a
// client shows only what the caller may do.
type Whoami struct {
	Name string      `json:"name"`
	Role domain.Role `json:"role"`
}

func (a *API) whoami(w http.ResponseWriter, r *http.Request) {
	t, _ := principal(r.Context())
	writeJSON(w, http.StatusOK, Whoami{Name: t.Name, Role: t.Role})
}
