package idp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequestTTL is how long a sign-in may take from /authorize to the
// code's exchange; older requests and their codes are forgotten.
const authRequestTTL = 10 * time.Minute

// errWrongCredentials is what the login form says for an unknown user or a
// wrong password alike.
var errWrongCredentials = errors.New("invalid username or password")

// storage is the provider's in-memory op.Storage: users, clients, pending
// authorization requests and issued access tokens.
type storage struct {
	log       *slog.Logger
	key       *signingKey
	tokenTTL  time.Duration
	loginPath string
	users     map[string]User // by subject
	logins    map[string]User // by login name
	clients   map[string]Client
	mu        sync.Mutex
	requests  map[string]*authRequest // by id
	codes     map[string]string       // code -> request id
	tokens    map[string]accessToken  // by token id
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

// newStorage indexes the configured users and clients.
func newStorage(opts Options, key *signingKey, loginPath string, log *slog.Logger) *storage {
	s := &storage{
		log:       log,
		key:       key,
		tokenTTL:  opts.TokenLifetime,
		loginPath: loginPath,
		users:     map[string]User{},
		logins:    map[string]User{},
		clients:   map[string]Client{},
		requests:  map[string]*authRequest{},
		codes:     map[string]string{},
		tokens:    map[string]accessToken{},
	}
	for _, u := range opts.Users {
		s.users[u.Subject] = u
		s.logins[u.loginName()] = u
	}
	for _, c := range opts.Clients {
		s.clients[c.ID] = c
	}
	return s
}

// CreateAuthRequest stores a new authorization request. It refuses one
// without a PKCE challenge using S256: every client is public.
func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if r.CodeChallenge == "" || r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method S256 is required")
	}
	req := newAuthRequest(uuid.NewString(), r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(time.Now())
	s.requests[req.id] = req
	return req, nil
}

// AuthRequestByID returns a pending authorization request.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok || time.Since(req.created) > authRequestTTL {
		return nil, fmt.Errorf("auth request %q not found or expired", id)
	}
	return req, nil
}

// prune forgets expired authorization requests, their codes and expired
// access tokens; s.mu is held.
func (s *storage) prune(now time.Time) {
	for id, req := range s.requests {
		if now.Sub(req.created) > authRequestTTL {
			delete(s.requests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.requests[id]; !ok {
			delete(s.codes, code)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

// AuthRequestByCode returns the authorization request a code was issued for.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("authorization code not found or already used")
	}
	return s.AuthRequestByID(ctx, id)
}

// SaveAuthCode remembers the code issued for a request.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requests[id]; !ok {
		return fmt.Errorf("save code: auth request %q not found", id)
	}
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest forgets a request and its code, so a code is used once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, reqID := range s.codes {
		if reqID == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// checkLogin authenticates a user for a pending request and marks it done.
func (s *storage) checkLogin(requestID, login, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[requestID]
	if !ok || time.Since(req.created) > authRequestTTL {
		return fmt.Errorf("auth request %q not found or expired", requestID)
	}
	u, ok := s.logins[login]
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return errWrongCredentials
	}
	req.subject, req.authTime, req.done = u.Subject, time.Now(), true
	return nil
}

// GetClientByClientID returns a registered client.
func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, fmt.Errorf("client %q not registered", clientID)
	}
	return &opClient{Client: c, loginPath: s.loginPath, idTokenTTL: s.tokenTTL}, nil
}

// AuthorizeClientIDSecret refuses: clients are public and have no secret.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, _ string) error {
	return fmt.Errorf("client %q: public clients have no secret", clientID)
}

// SigningKey returns the key ID tokens are signed with.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

// SignatureAlgorithms returns RS256.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.key.SignatureAlgorithm()}, nil
}

// KeySet returns the public keys served at the JWKS endpoint.
func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{s.key.public()}, nil }

// Health reports the storage as healthy.
func (s *storage) Health(context.Context) error { return nil }
