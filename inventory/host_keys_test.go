package inventory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestHostKeys pins, reads and forgets nodes' SSH host keys: the first of
// concurrent writers wins and every writer gets the winner's key.
func TestHostKeys(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	c := recordClusters(t, s, "keys")[0]
	if _, err := s.PinnedHostKey(ctx, c.ID, "keys-cp-0"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("key of a node never contacted: %v", err)
	}

	// Eight first contacts at once, each presented another key.
	const writers = 8
	type outcome struct {
		key     domain.NodeHostKey
		created bool
		err     error
	}
	results := make([]outcome, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			k, created, err := s.PinHostKey(ctx, domain.NodeHostKey{
				ClusterID: c.ID, Node: "keys-cp-0", Address: "127.0.0.10:22", KeyType: "ssh-ed25519",
				Fingerprint: "SHA256:writer" + string(rune('a'+i)), AuthorizedKey: "ssh-ed25519 AAAA" + string(rune('a'+i)),
			})
			results[i] = outcome{k, created, err}
		})
	}
	wg.Wait()
	winners := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("writer %d: %v", i, r.err)
		}
		if r.created {
			winners++
		}
		if r.key != results[0].key {
			t.Errorf("writer %d got %+v, writer 0 got %+v", i, r.key, results[0].key)
		}
	}
	if winners != 1 {
		t.Errorf("%d writers pinned a key, want 1", winners)
	}
	got, err := s.PinnedHostKey(ctx, c.ID, "keys-cp-0")
	if err != nil || got != results[0].key || got.FirstSeen.IsZero() || got.Address != "127.0.0.10:22" || got.KeyType != "ssh-ed25519" {
		t.Fatalf("pinned = %+v, %v", got, err)
	}

	// Another node of the same cluster has a key of its own.
	other, created, err := s.PinHostKey(ctx, domain.NodeHostKey{ClusterID: c.ID, Node: "keys-w-0", Address: "127.0.0.11:22",
		KeyType: "ssh-ed25519", Fingerprint: "SHA256:w", AuthorizedKey: "ssh-ed25519 AAAAw"})
	if err != nil || !created || other.Fingerprint != "SHA256:w" {
		t.Fatalf("pin of a second node = %+v, %v, %v", other, created, err)
	}

	// Forgetting (the node was replaced) lets the next contact pin anew.
	if forgot, err := s.ForgetHostKey(ctx, c.ID, "keys-cp-0"); err != nil || !forgot {
		t.Fatalf("forget = %v, %v", forgot, err)
	}
	if forgot, err := s.ForgetHostKey(ctx, c.ID, "keys-cp-0"); err != nil || forgot {
		t.Fatalf("forget again = %v, %v; want false", forgot, err)
	}
	if _, err := s.PinnedHostKey(ctx, c.ID, "keys-cp-0"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("forgotten key: %v", err)
	}
	renewed, created, err := s.PinHostKey(ctx, domain.NodeHostKey{ClusterID: c.ID, Node: "keys-cp-0", Address: "127.0.0.12:22",
		KeyType: "ssh-ed25519", Fingerprint: "SHA256:new", AuthorizedKey: "ssh-ed25519 AAAAnew"})
	if err != nil || !created || renewed.Fingerprint != "SHA256:new" {
		t.Fatalf("pin after forget = %+v, %v, %v", renewed, created, err)
	}
	if k, err := s.PinnedHostKey(ctx, c.ID, "keys-w-0"); err != nil || k.Fingerprint != "SHA256:w" {
		t.Fatalf("the other node's key after forget = %+v, %v", k, err)
	}
}
