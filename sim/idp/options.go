package idp

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person who can sign in to the provider.
type User struct {
	// Subject is the stable identifier put in the sub claim.
	Subject string
	// Username is what the login form asks for; Email is accepted when empty.
	Username string
	// Email goes into the email claim (scope email); it is marked verified.
	Email string
	// Name goes into the name claim (scope profile).
	Name string
	// Password is compared in constant time at login.
	Password string
	// Groups goes into the groups claim of the ID token and userinfo.
	Groups []string
}

// loginName is the name the login form matches against.
func (u User) loginName() string {
	if u.Username != "" {
		return u.Username
	}
	return u.Email
}

// Client is a registered relying party. Every client is public (no secret)
// and must use PKCE with S256.
type Client struct {
	// ID is the client_id, and the audience of the ID tokens it receives.
	ID string
	// RedirectURIs are the exact redirect_uri values the client may use.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where end_session may send the browser back to.
	PostLogoutRedirectURIs []string
}

// Options configures Start.
type Options struct {
	// Addr is the loopback address to listen on; "127.0.0.1:0" (a random
	// port) when empty. A fixed port keeps the issuer URL stable across runs.
	Addr string
	// Users are the people who can sign in.
	Users []User
	// Clients are the registered relying parties.
	Clients []Client
	// TokenLifetime is how long access and ID tokens live; 1 hour when zero.
	TokenLifetime time.Duration
	// Logger receives the provider's own log lines; slog.Default() when nil.
	// (zitadel/oidc logs through slog.Default.)
	Logger *slog.Logger
}

// validate checks that users and clients are usable and unique.
func (o Options) validate() error {
	subjects, names := map[string]bool{}, map[string]bool{}
	for _, u := range o.Users {
		if u.Subject == "" || u.loginName() == "" || u.Password == "" {
			return fmt.Errorf("user %q: subject, username or email, and password are required", u.Subject)
		}
		if subjects[u.Subject] || names[u.loginName()] {
			return fmt.Errorf("user %q (%s): duplicate subject or username", u.Subject, u.loginName())
		}
		subjects[u.Subject], names[u.loginName()] = true, true
	}
	ids := map[string]bool{}
	for _, c := range o.Clients {
		if c.ID == "" || len(c.RedirectURIs) == 0 {
			return fmt.Errorf("client %q: id and at least one redirect URI are required", c.ID)
		}
		if ids[c.ID] {
			return fmt.Errorf("client %q: duplicate id", c.ID)
		}
		ids[c.ID] = true
		for _, u := range append(slices.Clone(c.RedirectURIs), c.PostLogoutRedirectURIs...) {
			if _, loopback := op.HTTPLoopbackOrLocalhost(u); strings.HasPrefix(u, "http://") && !loopback {
				return fmt.Errorf("client %q: http URI %s is not on a loopback host", c.ID, u)
			}
		}
	}
	return nil
}
