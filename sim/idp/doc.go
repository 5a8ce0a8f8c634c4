// Package idp is the simulated identity provider: a real OpenID Connect
// provider, in process, for tests and for dev mode.
//
// It runs zitadel/oidc's OpenID Provider (package op) on a loopback listener
// with in-memory users, clients and signing keys, so that relying parties
// (go-oidc and x/oauth2) speak the real protocol to it: discovery, JWKS, the
// authorization code flow with PKCE (S256), ID tokens carrying email, name and
// groups, userinfo and end_session. People sign in through a small HTML form
// (#username, #password, button[type=submit]) that a headless browser can fill;
// Go tests use Provider.SignIn, which submits the same form over HTTP.
//
// The provider keeps no single sign-on session of its own: every authorization
// request shows the login form, so logging out of a relying party is enough
// to make the next sign-in ask for a password again.
package idp
