package idp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrLoginRefused is returned by SignIn when the login form refuses the
// username or password.
var ErrLoginRefused = errors.New("login refused")

// maxSignInHops bounds the redirects SignIn follows on the provider.
const maxSignInHops = 10

// SignIn signs a user in the way a browser would, for Go tests: starting at
// authURL (the client's authorization request, e.g. from oauth2.Config's
// AuthCodeURL) it follows the provider's redirects, submits the login form
// with username and password, and returns the first URL off the provider:
// the client's redirect URI with code and state (or error). It does not
// request that URL; the caller hands it to its relying party. hc may carry a
// cookie jar; its redirect policy is not used.
func (p *Provider) SignIn(ctx context.Context, hc *http.Client, authURL, username, password string) (*url.URL, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("sign in: authorization URL: %w", err)
	}
	var form url.Values
	for range maxSignInHops {
		if !p.owns(next) {
			return next, nil
		}
		resp, err := p.send(ctx, &c, next, form)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := next.Parse(resp.Header.Get("Location"))
			if err != nil {
				return nil, fmt.Errorf("sign in: redirect from %s: %w", next.Path, err)
			}
			next, form = loc, nil
		case resp.StatusCode == http.StatusOK && next.Path == loginPath && form == nil:
			form = url.Values{
				loginFieldRequest: {next.Query().Get(loginFieldRequest)},
				loginFieldUser:    {username},
				loginFieldPass:    {password},
			}
			next = next.ResolveReference(&url.URL{Path: loginPath})
		case resp.StatusCode == http.StatusUnauthorized && form != nil:
			return nil, fmt.Errorf("sign in as %q: %w", username, ErrLoginRefused)
		default:
			return nil, fmt.Errorf("sign in: %s answered %s: %s", next.Path, resp.Status, strings.TrimSpace(string(body)))
		}
	}
	return nil, fmt.Errorf("sign in: more than %d steps on the provider", maxSignInHops)
}

// send GETs u, or POSTs form to it when form is set.
func (p *Provider) send(ctx context.Context, c *http.Client, u *url.URL, form url.Values) (*http.Response, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in: %s %s: %w", method, u.Path, err)
	}
	return resp, nil
}

// owns reports whether u is on the provider.
func (p *Provider) owns(u *url.URL) bool {
	return u.Scheme+"://"+u.Host == p.issuer
}
