package bootstrap_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// TestJoinToken keeps a cluster's join token in the inventory: none at first, then
// the one put, which joining nodes' guestinfo carries instead of the day-0 token,
// and none again after a delete (twice: deleting is idempotent).
func TestJoinToken(t *testing.T) {
	s, c := newCluster(t)
	src := &bootstrap.Source{Store: s}
	ctx := context.Background()
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	m, err := src.Material(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	joinToken := func() string {
		t.Helper()
		gi, err := src.GuestInfo(ctx, c.ID, "c1-w-1")
		if err != nil {
			t.Fatal(err)
		}
		md, ud, err := cloudinit.DecodeGuestInfo(gi)
		if err != nil {
			t.Fatal(err)
		}
		node, err := cloudinit.ParseNode(md, ud)
		if err != nil || node.Kubeadm.Join == nil {
			t.Fatalf("worker's guestinfo: %v, join %v", err, node.Kubeadm.Join)
		}
		return node.Kubeadm.Join.Discovery.BootstrapToken.Token
	}

	if _, err := src.JoinToken(ctx, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("join token before one was put: %v, want not found", err)
	}
	if got := joinToken(); got != m.Token.String() {
		t.Errorf("without a join token a worker joins with another token than the day-0 one")
	}
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.PutJoinToken(ctx, c.ID, tok); err != nil {
		t.Fatal(err)
	}
	if got, err := src.JoinToken(ctx, c.ID); err != nil || got != tok {
		t.Fatalf("join token read back: %v (same: %v)", err, got == tok)
	}
	if got := joinToken(); got != tok.String() {
		t.Errorf("a worker does not join with the join token")
	}
	if err := src.PutJoinToken(ctx, c.ID, pki.BootstrapToken{ID: "short", Secret: "x"}); err == nil {
		t.Error("a malformed token was stored")
	}
	for range 2 {
		if err := src.DeleteJoinToken(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.JoinToken(ctx, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("join token after delete: %v, want not found", err)
	}
	if got := joinToken(); got != m.Token.String() {
		t.Errorf("after the join token's delete a worker does not join with the day-0 token")
	}
}
