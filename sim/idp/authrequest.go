package idp

import (
	"log/slog"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequest is one authorization request, from /authorize until its code is
// exchanged at the token endpoint (or it is abandoned).
type authRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge

	// Set by a successful login.
	subject  string
	authTime time.Time
	done     bool
}

var _ op.AuthRequest = (*authRequest)(nil)

// newAuthRequest copies what the provider needs from a parsed request.
func newAuthRequest(id string, r *oidc.AuthRequest) *authRequest {
	return &authRequest{
		id:           id,
		created:      time.Now(),
		clientID:     r.ClientID,
		redirectURI:  r.RedirectURI,
		state:        r.State,
		nonce:        r.Nonce,
		scopes:       r.Scopes,
		responseType: r.ResponseType,
		responseMode: r.ResponseMode,
		codeChallenge: &oidc.CodeChallenge{
			Challenge: r.CodeChallenge,
			Method:    r.CodeChallengeMethod,
		},
	}
}

// GetID returns the request id the login form carries.
func (a *authRequest) GetID() string { return a.id }

// GetACR returns no authentication context class.
func (a *authRequest) GetACR() string { return "" }

// GetAMR says the user signed in with a password.
func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}

// GetAudience is the client alone.
func (a *authRequest) GetAudience() []string { return []string{a.clientID} }

// GetAuthTime is when the user signed in.
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }

// GetClientID returns the client_id.
func (a *authRequest) GetClientID() string { return a.clientID }

// GetCodeChallenge returns the PKCE challenge (always set: see CreateAuthRequest).
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }

// GetNonce returns the nonce to echo in the ID token.
func (a *authRequest) GetNonce() string { return a.nonce }

// GetRedirectURI returns the redirect_uri of the request.
func (a *authRequest) GetRedirectURI() string { return a.redirectURI }

// GetResponseType returns the response_type (code).
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.responseType }

// GetResponseMode returns the response_mode.
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.responseMode }

// GetScopes returns the requested scopes.
func (a *authRequest) GetScopes() []string { return a.scopes }

// GetState returns the client's state.
func (a *authRequest) GetState() string { return a.state }

// GetSubject returns the signed-in user's subject.
func (a *authRequest) GetSubject() string { return a.subject }

// Done reports whether the user has signed in.
func (a *authRequest) Done() bool { return a.done }

// LogValue keeps secrets out of logs.
func (a *authRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.id),
		slog.String("client_id", a.clientID),
		slog.String("redirect_uri", a.redirectURI),
		slog.Any("scopes", a.scopes),
	)
}
