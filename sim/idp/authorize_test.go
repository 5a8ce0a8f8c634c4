package idp_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestAuthorizeRefusesUnregisteredRedirectURI: the provider answers 400 and
// sends the browser nowhere when the redirect URI is not registered exactly.
func TestAuthorizeRefusesUnregisteredRedirectURI(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	hc := browser(t)
	for _, redirect := range []string{
		rp.srv.URL + "/elsewhere",
		rp.redirectURI() + "/",
		rp.redirectURI() + "?next=/admin",
		"http://attacker.example.test/callback",
	} {
		cfg := rp.oauth
		cfg.RedirectURL = redirect
		resp, err := hc.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("redirect_uri %s: %s, Location %q: %s", redirect, resp.Status, resp.Header.Get("Location"), body)
		}
		if !strings.Contains(string(body), "redirect_uri") {
			t.Errorf("redirect_uri %s: error does not name the redirect_uri: %s", redirect, body)
		}
	}

	// SignIn reports the refusal instead of a URL.
	cfg := rp.oauth
	cfg.RedirectURL = rp.srv.URL + "/elsewhere"
	if u, err := p.SignIn(context.Background(), hc, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "alice", "alice-pw"); err == nil {
		t.Errorf("sign in with an unregistered redirect URI returned %s", u)
	}
}

// TestAuthorizeRefusesUnknownClient answers 400 without redirecting.
func TestAuthorizeRefusesUnknownClient(t *testing.T) {
	rp := newRelyingParty(t)
	startProvider(t, rp)
	cfg := rp.oauth
	cfg.ClientID = "intruder"
	resp, err := browser(t).Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unknown client: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
}
