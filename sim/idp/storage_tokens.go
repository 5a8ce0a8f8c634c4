package idp

import (
	"context"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// errNoRefresh answers every refresh token call: the provider issues none.
var errNoRefresh = errors.New("refresh tokens are not supported")

// accessToken is an issued access token, kept so userinfo can answer it and
// end_session and revocation can end it.
type accessToken struct {
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

// CreateAccessToken issues an opaque access token.
func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	clientID := ""
	if a, ok := r.(*authRequest); ok {
		clientID = a.clientID
	}
	id, expires := uuid.NewString(), time.Now().Add(s.tokenTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = accessToken{subject: r.GetSubject(), clientID: clientID, scopes: r.GetScopes(), expires: expires}
	return id, expires, nil
}

// CreateAccessAndRefreshTokens refuses: no refresh tokens.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

// TokenRequestByRefreshToken refuses: no refresh tokens.
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

// GetRefreshTokenInfo refuses: no refresh tokens.
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// TerminateSession ends a user's session with a client (end_session): its
// access tokens stop working.
func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	s.log.InfoContext(ctx, "oidc session ended", "subject", userID, "client_id", clientID)
	return nil
}

// RevokeToken revokes an access token of the client.
func (s *storage) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok {
		return nil // RFC 7009: unknown tokens are not an error
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// token returns a live access token issued to subject.
func (s *storage) token(tokenID, subject string) (accessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || t.subject != subject {
		return accessToken{}, errors.New("access token not found or revoked")
	}
	if time.Now().After(t.expires) {
		delete(s.tokens, tokenID)
		return accessToken{}, errors.New("access token expired")
	}
	return t, nil
}

// SetUserinfoFromToken answers the userinfo endpoint for an access token.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.token(tokenID, subject)
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

// SetIntrospectionFromToken refuses: introspection needs client credentials
// and every client is public.
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

// GetKeyByIDAndClientID refuses: no JWT client authentication.
func (s *storage) GetKeyByIDAndClientID(_ context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	return nil, fmt.Errorf("client %q key %q: JWT profile is not supported", clientID, keyID)
}

// ValidateJWTProfileScopes refuses: no JWT profile grant.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile is not supported")
}
