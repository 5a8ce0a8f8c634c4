package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	secret, tok, err := s.CreateToken(ctx, "ci", domain.RoleOperator, "admin")
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE token_hash::text LIKE '%' || $1 || '%'`, secret).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("token stored in clear (%d, %v)", stored, err)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Role != domain.RoleOperator {
		t.Fatalf("authenticate = %+v, %v", got, err)
	}
	if _, err := s.Authenticate(ctx, secret+"x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("wrong token = %v", err)
	}
	if _, _, err := s.CreateToken(ctx, "ci", domain.RoleViewer, "admin"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate name = %v", err)
	}
	if err := s.RevokeToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoked token = %v", err)
	}
}
