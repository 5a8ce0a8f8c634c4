package idp

import (
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// scopeGroups may be requested; the groups claim is sent either way.
const scopeGroups = "groups"

// opClient adapts a registered Client to op.Client: a public web client using
// the authorization code grant with PKCE, whose loopback http redirect URIs
// are allowed (exact match still applies).
type opClient struct {
	Client
	loginPath  string
	idTokenTTL time.Duration
}

var _ op.Client = (*opClient)(nil)

// GetID returns the client_id.
func (c *opClient) GetID() string { return c.ID }

// RedirectURIs returns the registered redirect URIs.
func (c *opClient) RedirectURIs() []string { return c.Client.RedirectURIs }

// PostLogoutRedirectURIs returns the registered post-logout redirect URIs.
func (c *opClient) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }

// ApplicationType is web: the portal is a server-side web application.
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }

// AuthMethod is none: a public client, which the op package makes prove PKCE.
func (c *opClient) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodNone }

// ResponseTypes allows only the authorization code flow.
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes allows only the authorization code grant.
func (c *opClient) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }

// LoginURL is the login form for one authorization request.
func (c *opClient) LoginURL(id string) string {
	return c.loginPath + "?" + url.Values{loginFieldRequest: {id}}.Encode()
}

// AccessTokenType is an opaque bearer token.
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }

// IDTokenLifetime is the configured token lifetime.
func (c *opClient) IDTokenLifetime() time.Duration { return c.idTokenTTL }

// DevMode allows http redirect URIs, which Options.validate limits to loopback
// hosts; redirect URIs must still match exactly.
func (c *opClient) DevMode() bool { return true }

// RestrictAdditionalIdTokenScopes keeps every scope.
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// RestrictAdditionalAccessTokenScopes keeps every scope.
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed allows the groups scope besides the standard ones.
func (c *opClient) IsScopeAllowed(scope string) bool { return scope == scopeGroups }

// IDTokenUserinfoClaimsAssertion puts email and profile claims in the ID token.
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

// ClockSkew is none.
func (c *opClient) ClockSkew() time.Duration { return 0 }
