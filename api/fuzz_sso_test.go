package api_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
)

// FuzzLoginToken sends any body to POST /auth/token (cwctl login's code exchange) on a
// server with single sign-on: never a 5xx, always a problem, never a token (no fuzzed
// code is one the server issued).
func FuzzLoginToken(f *testing.F) {
	env := apptest.StartSSO(f)
	for _, s := range unstorableSeeds(f, api.LoginTokenRequest{Code: "c0de", CodeVerifier: "v3rifier-of-at-least-43-characters-long-xxxx"}) {
		f.Add(s)
	}
	f.Add([]byte(`{"code":"","code_verifier":""}`))
	f.Add([]byte(`{"code":"x","code_verifier":"y","extra":1}`))
	count := func(t *testing.T) int {
		var n int
		if err := env.App.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := count(t)
		resp, err := http.Post(env.URL+"/auth/token", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("POST /auth/token with %q: %d %s, want a 4xx problem", body, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if after := count(t); after != before {
			t.Errorf("POST /auth/token with %q made a token", body)
		}
	})
}
