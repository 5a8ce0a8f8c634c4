package idp_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEndSession: logging out at the provider's end_session endpoint (from
// discovery) sends the browser back to the registered post-logout URI and
// ends the access tokens of the session.
func TestEndSession(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	hc := browser(t)
	ctx := context.Background()
	back, err := p.SignIn(ctx, hc, rp.startLogin(t, hc), "alice", "alice-pw")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	get(t, hc, back.String())
	tokens := rp.oauth.TokenSource(ctx, rp.last.token)
	if _, err := rp.provider.UserInfo(ctx, tokens); err != nil {
		t.Fatalf("userinfo before logout: %v", err)
	}

	var disco struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := rp.provider.Claims(&disco); err != nil || !strings.HasPrefix(disco.EndSession, p.Issuer()) {
		t.Fatalf("end_session_endpoint %q (%v)", disco.EndSession, err)
	}
	logout := disco.EndSession + "?" + url.Values{
		"id_token_hint":            {rp.last.rawID},
		"post_logout_redirect_uri": {rp.srv.URL + "/"},
		"state":                    {"bye"},
	}.Encode()
	resp, err := hc.Get(logout)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != rp.srv.Listener.Addr().String() || loc.Path != "/" || loc.Query().Get("state") != "bye" {
		t.Fatalf("end_session: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	if _, err := rp.provider.UserInfo(ctx, tokens); err == nil {
		t.Error("userinfo after logout still answers")
	}
}
