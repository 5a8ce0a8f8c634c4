package apptest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/idp"
)

// SSO test users: alice of team-a, bob of team-b, carol a platform admin, and dave,
// whose group maps to nothing. Each signs in with SSOPassword.
const (
	SSOPassword = "correct horse battery staple"
	// SSOClientID is Clusterwright's client id at the test provider.
	SSOClientID = "clusterwright"
	// SSOGroupRoles map the test users' groups.
	SSOGroupRoles = "platform-admins=*:admin,team-a=team-a:operator,team-b=team-b:operator"
)

// SSOUsers are the people of the test provider.
var SSOUsers = []idp.User{
	{Subject: "u-alice", Username: "alice", Email: "alice@example.com", Name: "Alice", Password: SSOPassword, Groups: []string{"team-a"}},
	{Subject: "u-bob", Username: "bob", Email: "bob@example.com", Name: "Bob", Password: SSOPassword, Groups: []string{"team-b"}},
	{Subject: "u-carol", Username: "carol", Email: "carol@example.com", Name: "Carol", Password: SSOPassword, Groups: []string{"platform-admins"}},
	{Subject: "u-dave", Username: "dave", Email: "dave@example.com", Name: "Dave", Password: SSOPassword, Groups: []string{"contractors"}},
}

// SSOEnv is a running Clusterwright with single sign-on through an in-process OpenID
// provider (sim/idp), and projects team-a and team-b. Its URL serves the API with
// single sign-on.
type SSOEnv struct {
	*Env
	IdP *idp.Provider
}

// StartSSO starts Clusterwright with single sign-on. Extra redirect URIs (a cwctl
// loopback is allowed by the server, not the provider) are not needed: the provider
// sends every sign-in back to <URL>/auth/callback.
func StartSSO(t testing.TB) *SSOEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	prov, err := idp.Start(idp.Options{Users: SSOUsers, Clients: []idp.Client{{ID: SSOClientID, RedirectURIs: []string{base + "/auth/callback"}}}})
	if err != nil {
		t.Fatalf("start the OIDC provider: %v", err)
	}
	t.Cleanup(func() { _ = prov.Close() })
	env := StartWith(t, Options{Config: func(c *app.Config) {
		c.OIDCIssuerURL, c.OIDCClientID, c.OIDCGroupRoles = prov.Issuer(), SSOClientID, SSOGroupRoles
	}})
	for _, name := range []string{"team-a", "team-b"} {
		in := domain.ProjectInput{Name: name}
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := env.App.Store.CreateProject(context.Background(), in, "test"); err != nil {
			t.Fatalf("project %s: %v", name, err)
		}
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: env.App.API().Handler()}}
	srv.Start()
	t.Cleanup(func() { // as StartWith's server: cut open streams first
		srv.CloseClientConnections()
		srv.Close()
	})
	env.URL = base
	return &SSOEnv{Env: env, IdP: prov}
}

// Browser returns an HTTP client with a cookie jar that does not follow redirects.
func Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: apiClient.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// SignIn signs username in through loginPath (e.g. "/auth/login?return_to=/") the way a
// browser does, with hc's cookie jar, and returns the reply of /auth/callback.
func (e *SSOEnv) SignIn(t testing.TB, hc *http.Client, loginPath, username string) *http.Response {
	t.Helper()
	resp, err := hc.Get(e.URL + loginPath)
	if err != nil {
		t.Fatalf("GET %s: %v", loginPath, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: %d, want 302 to the provider", loginPath, resp.StatusCode)
	}
	back, err := e.IdP.SignIn(context.Background(), hc, resp.Header.Get("Location"), username, SSOPassword)
	if err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
	resp, err = hc.Get(back.String())
	if err != nil {
		t.Fatalf("GET %s: %v", back.Path, err)
	}
	resp.Body.Close()
	return resp
}

// Challenge is the S256 PKCE challenge of verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// LoginURL is the path that starts a cwctl-style sign-in towards redirect.
func LoginURL(redirect, state, verifier string) string {
	return fmt.Sprintf("/auth/login?%s", url.Values{"cli_redirect": {redirect}, "cli_state": {state}, "cli_challenge": {Challenge(verifier)}}.Encode())
}
