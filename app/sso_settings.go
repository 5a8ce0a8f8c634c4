package app

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
)

// SSOSettings configure single sign-on through an OpenID Connect provider (see
// api.SSOConfig). Without OIDCIssuerURL people sign in with API tokens only.
type SSOSettings struct {
	OIDCIssuerURL string
	OIDCClientID  string
	// OIDCClientSecretFile holds the client secret of a confidential client; empty for
	// a public client.
	OIDCClientSecretFile string
	// PublicURL is the base URL people reach the portal at (the redirect URI is
	// PublicURL/auth/callback); empty: the URL of each request.
	PublicURL string
	// OIDCScopes are comma-separated.
	OIDCScopes      string
	OIDCGroupsClaim string
	// OIDCGroupRoles are "group=project:role" entries (see domain.ParseGroupRoles).
	OIDCGroupRoles string
	SessionTTL     string
	LoginTokenTTL  string
}

// ssoFlags are the settings of SSOSettings, for the commands that serve the API.
var ssoFlags = []string{"oidc-issuer-url", "oidc-client-id", "oidc-client-secret-file", "public-url", "oidc-scopes",
	"oidc-groups-claim", "oidc-group-roles", "session-ttl", "login-token-ttl"}

// SSOFlags returns the names of the single sign-on settings.
func SSOFlags() []string { return append([]string(nil), ssoFlags...) }

// ssoSettings are the settings of SSOSettings, bound to c's fields.
func (c *Config) ssoSettings() []Setting {
	return []Setting{
		{"oidc-issuer-url", "CLUSTERWRIGHT_OIDC_ISSUER_URL", "", "single sign-on: the OpenID Connect provider's issuer URL (empty: sign-in with API tokens only; dev: a simulated provider)", &c.OIDCIssuerURL},
		{"oidc-client-id", "CLUSTERWRIGHT_OIDC_CLIENT_ID", "clusterwright", "single sign-on: Clusterwright's client id at the provider (register the redirect URI <public-url>/auth/callback)", &c.OIDCClientID},
		{"oidc-client-secret-file", "CLUSTERWRIGHT_OIDC_CLIENT_SECRET_FILE", "", "single sign-on: file holding the client secret (empty: a public client, PKCE only)", &c.OIDCClientSecretFile},
		{"public-url", "CLUSTERWRIGHT_PUBLIC_URL", "", "the base URL people reach the portal at, e.g. https://cw.example.com (empty: each request's own URL)", &c.PublicURL},
		{"oidc-scopes", "CLUSTERWRIGHT_OIDC_SCOPES", strings.Join(api.DefaultSSOScopes, ","), "single sign-on: comma-separated scopes asked for", &c.OIDCScopes},
		{"oidc-groups-claim", "CLUSTERWRIGHT_OIDC_GROUPS_CLAIM", api.DefaultGroupsClaim, "single sign-on: the ID token claim listing the person's groups", &c.OIDCGroupsClaim},
		{"oidc-group-roles", "CLUSTERWRIGHT_OIDC_GROUP_ROLES", "", "single sign-on: comma-separated group=project:role entries mapping groups to project roles, * as the project for every project, e.g. platform-admins=*:admin,team-a=team-a:operator", &c.OIDCGroupRoles},
		{"session-ttl", "CLUSTERWRIGHT_SESSION_TTL", api.DefaultSessionTTL.String(), "how long a portal sign-in lasts (5m to 168h)", &c.SessionTTL},
		{"login-token-ttl", "CLUSTERWRIGHT_LOGIN_TOKEN_TTL", api.DefaultLoginTokenTTL.String(), "how long the personal token of `cwctl login` lasts (5m to 720h)", &c.LoginTokenTTL},
	}
}

// ssoConfig is the API's single sign-on configuration by the settings; nil without an
// issuer.
func (c *Config) ssoConfig() (*api.SSOConfig, error) {
	if c.OIDCIssuerURL == "" {
		return nil, nil
	}
	if !strings.HasPrefix(c.OIDCIssuerURL, "https://") && !strings.HasPrefix(c.OIDCIssuerURL, "http://") {
		return nil, fmt.Errorf("oidc-issuer-url %q: want an http(s) URL", c.OIDCIssuerURL)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		return nil, fmt.Errorf("public-url %q: want an http(s) URL", c.PublicURL)
	}
	cfg := &api.SSOConfig{IssuerURL: c.OIDCIssuerURL, ClientID: orDefault(c.OIDCClientID, "clusterwright"), PublicURL: c.PublicURL,
		GroupsClaim: c.OIDCGroupsClaim}
	if c.OIDCClientSecretFile != "" {
		b, err := os.ReadFile(c.OIDCClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("oidc-client-secret-file: %w", err)
		}
		cfg.ClientSecret = strings.TrimSpace(string(b))
	}
	for _, s := range strings.Split(c.OIDCScopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Scopes = append(cfg.Scopes, s)
		}
	}
	roles, err := domain.ParseGroupRoles(c.OIDCGroupRoles)
	if err != nil {
		return nil, fmt.Errorf("oidc-group-roles: %w", err)
	}
	cfg.GroupRoles = roles
	if cfg.SessionTTL, err = ttlSetting("session-ttl", c.SessionTTL, api.DefaultSessionTTL, 168*time.Hour); err != nil {
		return nil, err
	}
	if cfg.LoginTokenTTL, err = ttlSetting("login-token-ttl", c.LoginTokenTTL, api.DefaultLoginTokenTTL, 720*time.Hour); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ttlSetting reads a duration setting from 5m to max (def when empty).
func ttlSetting(name, value string, def, max time.Duration) (time.Duration, error) {
	if value == "" {
		return def, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d < 5*time.Minute || d > max {
		return 0, fmt.Errorf("%s %q: want a duration from 5m to %s", name, value, max)
	}
	return d, nil
}
