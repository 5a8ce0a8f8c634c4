package inventory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestSessionsAndLoginCodes: a session is found by its secret until it is deleted or
// expires, its secret is stored only hashed; a login code is taken once, and not after
// its expiry.
func TestSessionsAndLoginCodes(t *testing.T) {
	s := inventorytest.NewStore(t)
	ctx := context.Background()
	granted := map[string]domain.Role{"team-a": domain.RoleOperator, domain.AllowAll: domain.RoleViewer}
	secret, sess, err := s.CreateSession(ctx, "u-1", "a@example.com", granted, time.Hour)
	if err != nil || sess.ExpiresAt.Sub(sess.CreatedAt) != time.Hour {
		t.Fatalf("create: %+v %v", sess, err)
	}
	got, err := s.GetSession(ctx, secret)
	if err != nil || got.ID != sess.ID || got.Subject != "u-1" || got.Granted["team-a"] != domain.RoleOperator || got.Granted["*"] != domain.RoleViewer {
		t.Fatalf("get: %+v %v", got, err)
	}
	var stored int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM sessions WHERE position(convert_to($1, 'UTF8') in secret_hash) > 0 OR subject = $1`, secret[:16]).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the secret is stored as it is: %d %v", stored, err)
	}
	if _, err := s.GetSession(ctx, "not-a-session"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown secret: %v", err)
	}
	if err := s.DeleteSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, secret); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	old, _, err := s.CreateSession(ctx, "u-1", "", nil, -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, old); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}

	code, err := s.CreateLoginCode(ctx, "challenge", inventory.LoginCode{Subject: "u-1", Email: "a@example.com", Granted: granted}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	who, challenge, err := s.TakeLoginCode(ctx, code)
	if err != nil || challenge != "challenge" || who.Subject != "u-1" || who.Granted["team-a"] != domain.RoleOperator {
		t.Fatalf("take: %+v %q %v", who, challenge, err)
	}
	if _, _, err := s.TakeLoginCode(ctx, code); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a code taken twice: %v", err)
	}
	expired, err := s.CreateLoginCode(ctx, "c", inventory.LoginCode{Subject: "u-1"}, -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.TakeLoginCode(ctx, expired); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an expired code: %v", err)
	}
}

// TestLoginTokenHoldsGroupRoles: a person's own token from `cwctl login` acts with the
// roles their groups gave them at sign-in; one without grants has only memberships.
func TestLoginTokenHoldsGroupRoles(t *testing.T) {
	s := inventorytest.NewStore(t)
	ctx := context.Background()
	_, tok, err := s.CreateTokenWith(ctx, inventory.TokenSpec{Name: "login-alice-1", Role: domain.RoleOperator, Owner: "u-alice",
		OwnerEmail: "alice@example.com", OwnerGranted: map[string]domain.Role{"team-a": domain.RoleOperator}}, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.TokenPrincipal(ctx, tok)
	if err != nil || p.Kind != domain.MemberPerson || p.Subject != "u-alice" || p.RoleIn("team-a") != domain.RoleOperator || p.Sees("team-b") {
		t.Errorf("alice's login token: %+v %v", p, err)
	}
	_, plain, err := s.CreateTokenWith(ctx, inventory.TokenSpec{Name: "own-bob", Role: domain.RoleViewer, Owner: "u-bob"}, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.TokenPrincipal(ctx, plain); err != nil || len(p.Projects) != 0 || p.MaxRole() != "" {
		t.Errorf("a personal token without grants: %+v %v", p, err)
	}
}
