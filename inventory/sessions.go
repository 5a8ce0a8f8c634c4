package inventory

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// Session is a person's single sign-on session in the portal. Its secret (the cookie's
// value) is never stored; only its hash is.
type Session struct {
	ID      int64
	Subject string
	Email   string
	// Granted are the roles the person's groups gave them at sign-in: by project name,
	// "*" (domain.AllowAll) for every project.
	Granted   map[string]domain.Role
	CreatedAt time.Time
	ExpiresAt time.Time
}

// newSecret returns 256 random bits, URL-safe.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSession stores a new session for the person and returns its secret, to be set
// as the session cookie (shown once, never stored). Expired sessions are deleted on the
// way.
func (s *Store) CreateSession(ctx context.Context, subject, email string, granted map[string]domain.Role, ttl time.Duration) (string, Session, error) {
	if granted == nil {
		granted = map[string]domain.Role{}
	}
	g, err := json.Marshal(granted)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now()`); err != nil {
		return "", Session{}, fmt.Errorf("delete expired sessions: %w", err)
	}
	secret := newSecret()
	sess := Session{Subject: subject, Email: email, Granted: granted}
	err = s.pool.QueryRow(ctx, `INSERT INTO sessions (secret_hash, subject, email, granted, expires_at)
		VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING id, created_at, expires_at`,
		hashToken(secret), subject, email, g, ttl.Seconds()).Scan(&sess.ID, &sess.CreatedAt, &sess.ExpiresAt)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return secret, sess, nil
}

// GetSession returns the live session whose secret is secret, or domain.ErrNotFound
// (unknown, ended or expired).
func (s *Store) GetSession(ctx context.Context, secret string) (Session, error) {
	var sess Session
	var g []byte
	err := s.pool.QueryRow(ctx, `SELECT id, subject, email, granted, created_at, expires_at FROM sessions
		WHERE secret_hash = $1 AND expires_at > now()`, hashToken(secret)).
		Scan(&sess.ID, &sess.Subject, &sess.Email, &g, &sess.CreatedAt, &sess.ExpiresAt)
	if err != nil {
		return sess, notFound(err, "session")
	}
	if err := json.Unmarshal(g, &sess.Granted); err != nil {
		return sess, fmt.Errorf("session %d granted roles: %w", sess.ID, err)
	}
	return sess, nil
}

// DeleteSession ends the session whose secret is secret; an unknown one is
// domain.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE secret_hash = $1`, hashToken(secret))
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session: %w", domain.ErrNotFound)
	}
	return nil
}

// LoginCode is what a `cwctl login` code stands for: the person who signed in.
type LoginCode struct {
	Subject string
	Email   string
	Granted map[string]domain.Role
}

// CreateLoginCode stores a one-time code for the person that signed in for a cwctl
// whose PKCE challenge (S256) is challenge, valid for ttl, and returns the code.
func (s *Store) CreateLoginCode(ctx context.Context, challenge string, who LoginCode, ttl time.Duration) (string, error) {
	if who.Granted == nil {
		who.Granted = map[string]domain.Role{}
	}
	g, err := json.Marshal(who.Granted)
	if err != nil {
		return "", fmt.Errorf("create login code: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_codes WHERE expires_at < now()`); err != nil {
		return "", fmt.Errorf("delete expired login codes: %w", err)
	}
	code := newSecret()
	_, err = s.pool.Exec(ctx, `INSERT INTO login_codes (code_hash, challenge, subject, email, granted, expires_at)
		VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`, hashToken(code), challenge, who.Subject, who.Email, g, ttl.Seconds())
	if err != nil {
		return "", fmt.Errorf("create login code: %w", err)
	}
	return code, nil
}

// TakeLoginCode deletes the live code and returns what it stands for with the challenge
// it was issued for; a code unknown, taken before or expired is domain.ErrNotFound.
func (s *Store) TakeLoginCode(ctx context.Context, code string) (LoginCode, string, error) {
	var who LoginCode
	var challenge string
	var g []byte
	var live bool
	err := s.pool.QueryRow(ctx, `DELETE FROM login_codes WHERE code_hash = $1 RETURNING challenge, subject, email, granted, expires_at > now()`,
		hashToken(code)).Scan(&challenge, &who.Subject, &who.Email, &g, &live)
	if err != nil {
		return who, "", notFound(err, "login code")
	}
	if !live {
		return who, "", fmt.Errorf("login code expired: %w", domain.ErrNotFound)
	}
	if err := json.Unmarshal(g, &who.Granted); err != nil {
		return who, "", fmt.Errorf("login code granted roles: %w", err)
	}
	return who, challenge, nil
}

// tokenGrants returns the roles a person's own token holds by their groups at sign-in
// (api_tokens.owner_granted, migration 015).
func (s *Store) tokenGrants(ctx context.Context, tokenID string) (map[string]domain.Role, error) {
	var g []byte
	if err := s.pool.QueryRow(ctx, `SELECT owner_granted FROM api_tokens WHERE id = $1`, tokenID).Scan(&g); err != nil {
		return nil, notFound(err, "token grants")
	}
	granted := map[string]domain.Role{}
	if err := json.Unmarshal(g, &granted); err != nil {
		return nil, fmt.Errorf("token grants: %w", err)
	}
	return granted, nil
}
