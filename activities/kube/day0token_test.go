package kube

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/clusterwright/clusterwright/pki"
)

// TestDeleteDay0Token deletes the Secret of the cluster's day-0 token and nothing else:
// a Secret of the same ID holding another secret stays, and a token already gone is no
// error (a retried step).
func TestDeleteDay0Token(t *testing.T) {
	ctx := context.Background()
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewBootstrapToken()
	if err != nil {
		t.Fatal(err)
	}
	day0 := joinTokenSecret(tok, time.Now().Add(24*time.Hour))
	day0.UID = types.UID("day0")
	join := joinTokenSecret(other, time.Now().Add(time.Hour))
	join.UID = types.UID("join")
	cs := fake.NewClientset(day0, join)
	a := &Activities{Certs: &memCerts{tok: tok}}

	for range 2 {
		if err := a.deleteDay0Token(ctx, cs, "c1"); err != nil {
			t.Fatalf("delete the day-0 token: %v", err)
		}
	}
	secrets := cs.CoreV1().Secrets(metav1.NamespaceSystem)
	if _, err := secrets.Get(ctx, day0.Name, metav1.GetOptions{}); !notFound(err) {
		t.Errorf("the day-0 token's Secret is still there (err %v)", err)
	}
	if _, err := secrets.Get(ctx, join.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("another token's Secret went too: %v", err)
	}

	// A Secret of the day-0 token's ID holding another secret is not the day-0 token.
	impostor := joinTokenSecret(pki.BootstrapToken{ID: tok.ID, Secret: other.Secret}, time.Now().Add(time.Hour))
	cs = fake.NewClientset(impostor)
	if err := a.deleteDay0Token(ctx, cs, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, impostor.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("a Secret that does not hold the day-0 token was deleted: %v", err)
	}
}
