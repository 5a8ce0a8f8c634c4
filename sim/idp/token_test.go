package idp_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"
)

// TestTokenRefusesWrongPKCEVerifier: a code is exchanged only with the
// verifier whose S256 challenge went to /authorize.
func TestTokenRefusesWrongPKCEVerifier(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()

	for _, tc := range []struct {
		name     string
		opts     []oauth2.AuthCodeOption
		wantCode string
	}{
		{"wrong verifier", []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}, "invalid_grant"},
		{"no verifier", nil, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			authURL := rp.oauth.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))
			back, err := p.SignIn(ctx, nil, authURL, "alice", "alice-pw")
			if err != nil {
				t.Fatalf("sign in: %v", err)
			}
			code := back.Query().Get("code")
			_, err = rp.oauth.Exchange(ctx, code, tc.opts...)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != tc.wantCode {
				t.Fatalf("exchange: %v, want %s", err, tc.wantCode)
			}
			// The refusal was the verifier's alone: the right one still
			// redeems the code, so whoever intercepted a code can neither
			// use it nor spoil the client's own exchange.
			if _, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil {
				t.Errorf("exchange with the right verifier: %v", err)
			}
		})
	}
}

// TestAuthorizeRequiresPKCE: an authorization request without an S256
// challenge is sent back to the client with invalid_request.
func TestAuthorizeRequiresPKCE(t *testing.T) {
	rp := newRelyingParty(t)
	p := startProvider(t, rp)
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"none":  nil,
		"plain": {oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
	} {
		t.Run(name, func(t *testing.T) {
			back, err := p.SignIn(context.Background(), nil, rp.oauth.AuthCodeURL("st", opts...), "alice", "alice-pw")
			if err != nil {
				t.Fatalf("authorize: %v", err)
			}
			if q := back.Query(); q.Get("error") != "invalid_request" || q.Get("code") != "" {
				t.Errorf("authorize without S256 PKCE sent back %s", back)
			}
		})
	}
}
