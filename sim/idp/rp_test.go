package idp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/clusterwright/clusterwright/sim/idp"
)

// testClientID is the relying party's client_id in these tests.
const testClientID = "portal"

// claims are the ID token claims the relying party reads.
type claims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
	Nonce         string   `json:"nonce"`
}

// relyingParty is a web application signing people in with go-oidc and
// x/oauth2: /login starts the code flow with PKCE and a nonce, /callback
// exchanges the code and verifies the ID token, answering its claims as JSON.
type relyingParty struct {
	srv      *httptest.Server
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	// last is what the latest successful callback received.
	last struct {
		token   *oauth2.Token
		rawID   string
		idToken *oidc.IDToken
	}
}

// newRelyingParty starts the relying party's HTTP server; connect it to a
// provider with connect once the provider runs.
func newRelyingParty(t *testing.T) *relyingParty {
	t.Helper()
	rp := &relyingParty{}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", rp.login)
	mux.HandleFunc("/callback", rp.callback)
	rp.srv = httptest.NewServer(mux)
	t.Cleanup(rp.srv.Close)
	return rp
}

// redirectURI is the callback URL to register with the provider.
func (rp *relyingParty) redirectURI() string { return rp.srv.URL + "/callback" }

// connect discovers the provider and configures the OAuth2 client.
func (rp *relyingParty) connect(t *testing.T, issuer string) {
	t.Helper()
	p, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		t.Fatalf("discover %s: %v", issuer, err)
	}
	rp.provider = p
	rp.verifier = p.Verifier(&oidc.Config{ClientID: testClientID})
	rp.oauth = oauth2.Config{
		ClientID:    testClientID,
		Endpoint:    p.Endpoint(),
		RedirectURL: rp.redirectURI(),
		Scopes:      []string{oidc.ScopeOpenID, "email", "profile", "groups"},
	}
}

// login starts a sign-in: state, nonce and PKCE verifier go into cookies.
func (rp *relyingParty) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	for name, v := range map[string]string{"state": state, "nonce": nonce, "verifier": verifier} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, rp.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback finishes a sign-in and answers the verified claims.
func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	cookie := func(name string) string {
		c, err := r.Cookie(name)
		if err != nil {
			return ""
		}
		return c.Value
	}
	if e := r.FormValue("error"); e != "" {
		http.Error(w, "provider: "+e, http.StatusForbidden)
		return
	}
	if r.FormValue("state") == "" || r.FormValue("state") != cookie("state") {
		http.Error(w, "state mismatch", http.StatusBadRequest)
		return
	}
	tok, err := rp.oauth.Exchange(r.Context(), r.FormValue("code"), oauth2.VerifierOption(cookie("verifier")))
	if err != nil {
		http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := rp.verifier.Verify(r.Context(), rawID)
	if err != nil {
		http.Error(w, "verify id token: "+err.Error(), http.StatusUnauthorized)
		return
	}
	var c claims
	if err := idToken.Claims(&c); err != nil || c.Nonce != cookie("nonce") {
		http.Error(w, fmt.Sprintf("claims: %v (nonce %q)", err, c.Nonce), http.StatusUnauthorized)
		return
	}
	rp.last.token, rp.last.rawID, rp.last.idToken = tok, rawID, idToken
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c)
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// startLogin asks the relying party to start a sign-in and returns the
// authorization URL it redirects to.
func (rp *relyingParty) startLogin(t *testing.T, hc *http.Client) string {
	t.Helper()
	resp, err := hc.Get(rp.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("rp /login: %s", resp.Status)
	}
	return resp.Header.Get("Location")
}

// startProvider runs a provider with alice and bob and the relying party's client.
func startProvider(t *testing.T, rp *relyingParty) *idp.Provider {
	t.Helper()
	p, err := idp.Start(idp.Options{
		Users: []idp.User{
			{Subject: "u-alice", Username: "alice", Email: "alice@example.test", Name: "Alice Liddell", Password: "alice-pw", Groups: []string{"team-a", "platform-admins"}},
			{Subject: "u-bob", Email: "bob@example.test", Name: "Bob", Password: "bob-pw", Groups: []string{"team-b"}},
		},
		Clients: []idp.Client{{
			ID:                     testClientID,
			RedirectURIs:           []string{rp.redirectURI()},
			PostLogoutRedirectURIs: []string{rp.srv.URL + "/"},
		}},
	})
	if err != nil {
		t.Fatalf("start provider: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close provider: %v", err)
		}
	})
	rp.connect(t, p.Issuer())
	return p
}

// queryOf returns the query of a URL string.
func queryOf(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
