package idp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// SignInTo is Provider.SignIn for a provider known only by its issuer URL (one that
// another process, e.g. `clusterwright dev`, runs).
func SignInTo(ctx context.Context, hc *http.Client, issuer, authURL, username, password string) (*url.URL, error) {
	return (&Provider{issuer: strings.TrimRight(issuer, "/")}).SignIn(ctx, hc, authURL, username, password)
}
