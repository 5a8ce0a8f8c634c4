package idp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/sim/idp"
)

// TestSignInCodeFlowPKCE signs alice in through the login form; the relying
// party exchanges the code with its PKCE verifier and verifies the ID token
// (issuer, audience, signature from the JWKS, nonce).
func TestSignInCodeFlowPKCE(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	hc := browser(t)
	ctx := context.Background()

	back, err := p.SignIn(ctx, hc, rp.startLogin(t, hc), "alice", "alice-pw")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != rp.redirectURI() {
		t.Fatalf("sent back to %s, want %s", got, rp.redirectURI())
	}
	resp, err := hc.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rp callback: %s: %s", resp.Status, body)
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u-alice" || c.Email != "alice@example.test" || !c.EmailVerified || c.Name != "Alice Liddell" {
		t.Errorf("claims = %+v", c)
	}
	if !slices.Equal(c.Groups, []string{"team-a", "platform-admins"}) {
		t.Errorf("groups = %v", c.Groups)
	}
	var disco struct {
		Methods []string `json:"code_challenge_methods_supported"`
		Scopes  []string `json:"scopes_supported"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := rp.provider.Claims(&disco); err != nil || !slices.Contains(disco.Methods, "S256") ||
		!slices.Contains(disco.Scopes, "groups") || !slices.Equal(disco.Algs, []string{"RS256"}) {
		t.Errorf("discovery: %+v (%v)", disco, err)
	}
	id := rp.last.idToken
	if id.Issuer != p.Issuer() || !slices.Equal(id.Audience, []string{testClientID}) {
		t.Errorf("issuer %s audience %v", id.Issuer, id.Audience)
	}

	// The access token answers userinfo, groups included.
	info, err := rp.provider.UserInfo(ctx, rp.oauth.TokenSource(ctx, rp.last.token))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var ic claims
	if err := info.Claims(&ic); err != nil || ic.Email != "alice@example.test" || !slices.Contains(ic.Groups, "team-a") {
		t.Errorf("userinfo claims = %+v (%v)", ic, err)
	}

	// A code is good once.
	if _, err := rp.oauth.Exchange(ctx, back.Query().Get("code")); err == nil {
		t.Error("second exchange of the same code succeeded")
	}
}

// TestSignInByEmail signs bob in with his e-mail, having no username.
func TestSignInByEmail(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	hc := browser(t)
	back, err := p.SignIn(context.Background(), hc, rp.startLogin(t, hc), "bob@example.test", "bob-pw")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if back.Query().Get("code") == "" {
		t.Fatalf("no code in %s", back)
	}
}

// TestSignInWrongPassword is refused by the form, which shows it again
// with an error and the fields a browser test fills.
func TestSignInWrongPassword(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	hc := browser(t)

	_, err := p.SignIn(context.Background(), hc, rp.startLogin(t, hc), "alice", "wrong")
	if !errors.Is(err, idp.ErrLoginRefused) {
		t.Fatalf("sign in with a wrong password: %v, want ErrLoginRefused", err)
	}
	_, err = p.SignIn(context.Background(), hc, rp.startLogin(t, hc), "mallory", "alice-pw")
	if !errors.Is(err, idp.ErrLoginRefused) {
		t.Fatalf("sign in as an unknown user: %v, want ErrLoginRefused", err)
	}

	// The same through the form by hand.
	resp, err := hc.Get(rp.startLogin(t, hc))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	loginURL, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || loginURL.Path != "/login" {
		t.Fatalf("authorize redirected to %v (%v), want the login form", loginURL, err)
	}
	page := get(t, hc, loginURL.String())
	for _, want := range []string{`id="username" name="username"`, `id="password" name="password" type="password"`, `<button type="submit">`} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s:\n%s", want, page)
		}
	}
	resp, err = hc.PostForm(p.Issuer()+"/login", url.Values{
		"authRequestID": {loginURL.Query().Get("authRequestID")}, "username": {"alice"}, "password": {"nope"},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Location") != "" || !strings.Contains(string(body), "invalid username or password") {
		t.Errorf("wrong password: %s, Location %q:\n%s", resp.Status, resp.Header.Get("Location"), body)
	}
}

// get answers the body of a 200 response.
func get(t *testing.T, hc *http.Client, u string) string {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, body)
	}
	return string(body)
}
