package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/clusterwright/clusterwright/domain"
)

// Defaults of single sign-on.
const (
	// DefaultSessionTTL is how long a portal session lasts.
	DefaultSessionTTL = 8 * time.Hour
	// DefaultLoginTokenTTL is how long the personal token of `cwctl login` lasts.
	DefaultLoginTokenTTL = 12 * time.Hour
	// DefaultGroupsClaim is the ID token claim listing the person's groups.
	DefaultGroupsClaim = "groups"
)

// DefaultSSOScopes are the scopes asked for at sign-in.
var DefaultSSOScopes = []string{oidc.ScopeOpenID, "email", "profile", "groups"}

// SSOConfig configures single sign-on through an OpenID Connect provider: the portal
// signs people in with the authorization code flow and PKCE (/auth/login, /auth/callback)
// and keeps a session cookie; `cwctl login` gets a personal token the same way.
type SSOConfig struct {
	// IssuerURL is the provider's issuer (discovery at IssuerURL/.well-known/openid-configuration).
	IssuerURL string
	// ClientID is Clusterwright's client id at the provider; ClientSecret is empty for a
	// public client (PKCE protects the code either way).
	ClientID     string
	ClientSecret string
	// PublicURL is the base URL people reach the portal at, e.g. https://cw.example.com;
	// the redirect URI is PublicURL/auth/callback. Empty: the URL of each request.
	PublicURL string
	// Scopes are asked for at sign-in (default DefaultSSOScopes).
	Scopes []string
	// GroupsClaim names the ID token claim with the person's groups (default "groups").
	GroupsClaim string
	// GroupRoles map groups to project roles.
	GroupRoles domain.GroupRoles
	// SessionTTL is how long a portal session lasts (default DefaultSessionTTL).
	SessionTTL time.Duration
	// LoginTokenTTL is how long a `cwctl login` token lasts (default DefaultLoginTokenTTL).
	LoginTokenTTL time.Duration
	// HTTPClient talks to the provider (default http.DefaultClient).
	HTTPClient *http.Client
}

// sso is the running single sign-on: the configuration and the provider, discovered on
// first use (so that the server starts while the provider is down) and kept.
type sso struct {
	cfg      SSOConfig
	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func newSSO(cfg *SSOConfig) *sso {
	if cfg == nil || cfg.IssuerURL == "" {
		return nil
	}
	c := *cfg
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultSSOScopes
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = DefaultGroupsClaim
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.LoginTokenTTL <= 0 {
		c.LoginTokenTTL = DefaultLoginTokenTTL
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return &sso{cfg: c}
}

// client returns ctx carrying the HTTP client to the provider.
func (s *sso) client(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.cfg.HTTPClient)
}

// discover returns the provider and the ID token verifier, discovering them once.
func (s *sso) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, s.verifier, nil
	}
	dctx, cancel := context.WithTimeout(s.client(ctx), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, s.cfg.IssuerURL)
	if err != nil {
		return nil, nil, fmt.Errorf("discover the OIDC provider %s: %w", s.cfg.IssuerURL, err)
	}
	s.provider, s.verifier = p, p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID})
	return s.provider, s.verifier, nil
}

// oauth returns the OAuth2 client for a request (the redirect URI follows PublicURL, or
// the request's own URL).
func (s *sso) oauth(r *http.Request, p *oidc.Provider) oauth2.Config {
	return oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: s.baseURL(r) + callbackPath, Scopes: s.cfg.Scopes}
}

// baseURL is PublicURL, or the scheme and host of the request.
func (s *sso) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// secure reports whether cookies must be Secure: the request came over TLS or the
// public URL is https.
func (s *sso) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
}
