package inventory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/domain"
)

// tokenPrefix marks Clusterwright tokens so that secret scanners can find leaked ones.
const tokenPrefix = "cw_"

// NewTokenSecret returns a fresh random bearer token.
func NewTokenSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how tokens are stored: SHA-256 suffices for 256-bit random secrets.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateToken stores a new token for name with role and returns its secret, which is
// shown once and never stored. A taken name is domain.ErrConflict.
func (s *Store) CreateToken(ctx context.Context, name string, role domain.Role, createdBy string) (string, domain.APIToken, error) {
	secret := NewTokenSecret()
	t, err := s.insertToken(ctx, name, role, createdBy, secret)
	return secret, t, err
}

// ImportToken stores a token whose secret the caller chose (dev mode keeps its admin
// token across restarts this way). An existing token of that name is replaced.
func (s *Store) ImportToken(ctx context.Context, name string, role domain.Role, secret string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES ($1, $2, $3, 'system')
		ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, revoked_at = NULL`,
		name, string(role), hashToken(secret))
	if err != nil {
		return fmt.Errorf("import token %s: %w", name, err)
	}
	return nil
}

func (s *Store) insertToken(ctx context.Context, name string, role domain.Role, createdBy, secret string) (domain.APIToken, error) {
	t := domain.APIToken{Name: name, Role: role, CreatedBy: createdBy}
	err := s.pool.QueryRow(ctx, `
		INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at`, name, string(role), hashToken(secret), createdBy).Scan(&t.ID, &t.CreatedAt)
	if isPgCode(err, pgUniqueViolation) {
		return t, fmt.Errorf("token %q exists: %w", name, domain.ErrConflict)
	}
	if err != nil {
		return t, fmt.Errorf("create token %s: %w", name, err)
	}
	return t, nil
}

// Authenticate returns the live token whose secret is token, or domain.ErrNotFound.
func (s *Store) Authenticate(ctx context.Context, token string) (domain.APIToken, error) {
	var t domain.APIToken
	if !strings.HasPrefix(token, tokenPrefix) {
		return t, fmt.Errorf("authenticate: %w", domain.ErrNotFound)
	}
	var role string
	err := s.pool.QueryRow(ctx, `
		SELECT id, name, role, created_by, created_at, last_used_at FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token)).
		Scan(&t.ID, &t.Name, &role, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt)
	if err != nil {
		return t, notFound(err, "authenticate")
	}
	t.Role = domain.Role(role)
	// Record use at most once a minute, so that reads do not each cost a write.
	if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
		if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, t.ID); err != nil {
			return t, fmt.Errorf("record token use: %w", err)
		}
	}
	return t, nil
}

// ListTokens returns live tokens (never their secrets) by name, a page at a time.
func (s *Store) ListTokens(ctx context.Context, page Page) ([]domain.APIToken, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	q.and("revoked_at IS NULL")
	if after.Name != "" {
		q.and("name > ?", after.Name)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT id, name, role, created_by, created_at, last_used_at FROM api_tokens`, "name", page.limit()+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	tokens, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.APIToken, error) {
		var t domain.APIToken
		var role string
		err := r.Scan(&t.ID, &t.Name, &role, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt)
		t.Role = domain.Role(role)
		return t, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	tokens, next := pageByName(tokens, page.limit(), func(t domain.APIToken) string { return t.Name })
	return tokens, next, nil
}

// RevokeToken revokes the token named name.
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL`, name)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %s: %w", name, domain.ErrNotFound)
	}
	return nil
}
