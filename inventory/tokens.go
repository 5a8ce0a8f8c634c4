package inventory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

// TokenSpec is what a new token is: its name and role and, optionally, the project it
// acts in (a project token; "" for platform-wide), the person it belongs to (Owner, a
// sign-in subject, with OwnerEmail) and its expiry.
type TokenSpec struct {
	Name       string
	Role       domain.Role
	Project    string
	Owner      string
	OwnerEmail string
	ExpiresAt  *time.Time
	// OwnerGranted are the roles the owner's groups gave them when they signed in for
	// this token (`cwctl login`); the token holds them besides the owner's memberships.
	OwnerGranted map[string]domain.Role
}

// CreateToken stores a new platform-wide token for name with role and returns its
// secret, which is shown once and never stored. A taken name is domain.ErrConflict.
func (s *Store) CreateToken(ctx context.Context, name string, role domain.Role, createdBy string) (string, domain.APIToken, error) {
	return s.CreateTokenWith(ctx, TokenSpec{Name: name, Role: role}, createdBy)
}

// CreateTokenWith stores a new token as spec says and returns its secret, shown once. A
// taken name is domain.ErrConflict; a project that does not exist, domain.ErrNotFound.
func (s *Store) CreateTokenWith(ctx context.Context, spec TokenSpec, createdBy string) (string, domain.APIToken, error) {
	secret := NewTokenSecret()
	t, err := s.insertToken(ctx, spec, createdBy, secret)
	return secret, t, err
}

// ImportToken stores a platform-wide token whose secret the caller chose (dev mode keeps
// its tokens across restarts this way). An existing token of that name is replaced.
func (s *Store) ImportToken(ctx context.Context, name string, role domain.Role, secret string) error {
	return s.ImportTokenWith(ctx, TokenSpec{Name: name, Role: role}, secret)
}

// ImportTokenWith is ImportToken for any TokenSpec (a project token, say).
func (s *Store) ImportTokenWith(ctx context.Context, spec TokenSpec, secret string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO api_tokens (name, role, token_hash, created_by, project_id, owner_subject, owner_email, expires_at)
		VALUES ($1, $2, $3, 'system', (SELECT id FROM projects WHERE name = nullif($4, '') AND deleted_at IS NULL), $5, $6, $7)
		ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, revoked_at = NULL,
			project_id = excluded.project_id, owner_subject = excluded.owner_subject, owner_email = excluded.owner_email,
			expires_at = excluded.expires_at`,
		spec.Name, string(spec.Role), hashToken(secret), spec.Project, spec.Owner, spec.OwnerEmail, spec.ExpiresAt)
	if err != nil {
		return fmt.Errorf("import token %s: %w", spec.Name, err)
	}
	return nil
}

func (s *Store) insertToken(ctx context.Context, spec TokenSpec, createdBy, secret string) (domain.APIToken, error) {
	var projectID *string
	if spec.Project != "" {
		var id string
		err := s.pool.QueryRow(ctx, `SELECT id FROM projects WHERE name = $1 AND deleted_at IS NULL`, spec.Project).Scan(&id)
		if err != nil {
			return domain.APIToken{}, notFound(err, "project "+spec.Project)
		}
		projectID = &id
	}
	granted, err := json.Marshal(spec.OwnerGranted)
	if spec.OwnerGranted == nil || err != nil {
		granted = []byte("{}")
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO api_tokens (name, role, token_hash, created_by, project_id, owner_subject, owner_email, expires_at, owner_granted)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+tokenColumns, spec.Name, string(spec.Role), hashToken(secret), createdBy, projectID,
		spec.Owner, spec.OwnerEmail, spec.ExpiresAt, granted)
	t, err := scanToken(row)
	if isPgCode(err, pgUniqueViolation) {
		return t, fmt.Errorf("token %q exists: %w", spec.Name, domain.ErrConflict)
	}
	if err != nil {
		return t, fmt.Errorf("create token %s: %w", spec.Name, err)
	}
	return t, nil
}

// tokenColumns are read of api_tokens (unqualified, so that RETURNING can use them too).
const tokenColumns = `id, name, role, coalesce((SELECT p.name FROM projects p WHERE p.id = project_id), ''),
	owner_subject, owner_email, expires_at, created_by, created_at, last_used_at`

func scanToken(r pgx.Row) (domain.APIToken, error) {
	var t domain.APIToken
	var role string
	err := r.Scan(&t.ID, &t.Name, &role, &t.Project, &t.Owner, &t.OwnerEmail, &t.ExpiresAt, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt)
	t.Role = domain.Role(role)
	return t, err
}

// Authenticate returns the live, unexpired token whose secret is token, or
// domain.ErrNotFound.
func (s *Store) Authenticate(ctx context.Context, token string) (domain.APIToken, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return domain.APIToken{}, fmt.Errorf("authenticate: %w", domain.ErrNotFound)
	}
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`, hashToken(token)))
	if err != nil {
		return t, notFound(err, "authenticate")
	}
	// Record use at most once a minute, so that reads do not each cost a write.
	if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
		if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, t.ID); err != nil {
			return t, fmt.Errorf("record token use: %w", err)
		}
	}
	return t, nil
}

// TokenFilter narrows ListTokens.
type TokenFilter struct {
	// Projects, unless nil, keeps only the tokens of these projects (by name).
	Projects []string
}

// ListTokens returns live tokens (never their secrets) by name, a page at a time.
func (s *Store) ListTokens(ctx context.Context, page Page) ([]domain.APIToken, string, error) {
	return s.ListTokensWith(ctx, TokenFilter{}, page)
}

// ListTokensWith is ListTokens narrowed by f.
func (s *Store) ListTokensWith(ctx context.Context, f TokenFilter, page Page) ([]domain.APIToken, string, error) {
	after, _, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	q.and("revoked_at IS NULL")
	if f.Projects != nil {
		q.and("project_id IN (SELECT id FROM projects WHERE deleted_at IS NULL AND name = ANY(?))", f.Projects)
	}
	if after.Name != "" {
		q.and("name > ?", after.Name)
	}
	rows, err := s.pool.Query(ctx, q.sql(`SELECT `+tokenColumns+` FROM api_tokens`, "name", page.limit()+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	tokens, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.APIToken, error) { return scanToken(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	tokens, next := pageByName(tokens, page.limit(), func(t domain.APIToken) string { return t.Name })
	return tokens, next, nil
}

// GetToken returns the live token named name (never its secret).
func (s *Store) GetToken(ctx context.Context, name string) (domain.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE name = $1 AND revoked_at IS NULL`, name))
	if err != nil {
		return t, notFound(err, "token "+name)
	}
	return t, nil
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
