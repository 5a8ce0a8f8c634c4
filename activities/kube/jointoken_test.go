package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// memTokens is an in-memory JoinTokens that records whether the token's Secret was
// in the cluster when the token was stored.
type memTokens struct {
	mu            sync.Mutex
	tok           *pki.BootstrapToken
	secretExisted []bool
	exists        func(id string) bool
}

func (m *memTokens) PutJoinToken(_ context.Context, _ string, tok pki.BootstrapToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = &tok
	m.secretExisted = append(m.secretExisted, m.exists(tok.ID))
	return nil
}

func (m *memTokens) JoinToken(context.Context, string) (pki.BootstrapToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return pki.BootstrapToken{}, fmt.Errorf("join token: %w", domain.ErrNotFound)
	}
	return *m.tok, nil
}

func (m *memTokens) DeleteJoinToken(context.Context, string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = nil
	return nil
}

// TestCreateJoinToken against a fake API server whose "bootstrap signer" signs
// cluster-info when a token Secret is created: a new token is stored before its
// Secret exists, and its Secret is what kubeadm writes; a second call reuses it; a
// token with 30 minutes or less left is replaced and its Secret deleted.
func TestCreateJoinToken(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-public", Name: "cluster-info"},
		Data: map[string]string{"kubeconfig": "..."}})
	cmGVR := corev1.SchemeGroupVersion.WithResource("configmaps")
	secretGVR := corev1.SchemeGroupVersion.WithResource("secrets")
	cs.PrependReactor("create", "secrets", func(action k8stesting.Action) (bool, runtime.Object, error) {
		s := action.(k8stesting.CreateAction).GetObject().(*corev1.Secret)
		obj, err := cs.Tracker().Get(cmGVR, "kube-public", "cluster-info")
		if err != nil {
			return true, nil, err
		}
		cm := obj.(*corev1.ConfigMap).DeepCopy()
		cm.Data["jws-kubeconfig-"+string(s.Data["token-id"])] = "header..signature"
		return false, nil, cs.Tracker().Update(cmGVR, cm, "kube-public")
	})
	tokens := &memTokens{exists: func(id string) bool {
		_, err := cs.Tracker().Get(secretGVR, "kube-system", "bootstrap-token-"+id)
		return err == nil
	}}
	a := &Activities{Tokens: tokens}

	before := time.Now()
	info, err := a.createJoinToken(ctx, cs, "c1")
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := tokens.JoinToken(ctx, "c1")
	if info.ID != tok.ID || info.Expires.Before(before.Add(2*time.Hour-time.Second)) || info.Expires.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("info %+v, want the stored token's ID %s expiring in 2 hours", info, tok.ID)
	}
	if len(tokens.secretExisted) != 1 || tokens.secretExisted[0] {
		t.Errorf("the token was not stored before its Secret was created: %v", tokens.secretExisted)
	}
	s, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-"+tok.ID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"token-id": tok.ID, "token-secret": tok.Secret, "expiration": info.Expires.Format(time.RFC3339),
		"usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
		"auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
	}
	for k, v := range want {
		if got := string(s.Data[k]); got != v {
			t.Errorf("Secret %s = %q, want %q", k, got, v)
		}
	}
	if s.Type != "bootstrap.kubernetes.io/token" || !strings.Contains(string(s.Data["description"]), "Clusterwright") {
		t.Errorf("Secret of type %s, description %q", s.Type, s.Data["description"])
	}

	again, err := a.createJoinToken(ctx, cs, "c1")
	if err != nil || again != info || len(tokens.secretExisted) != 1 {
		t.Errorf("second call: %+v, %v (stored %d times), want the same token", again, err, len(tokens.secretExisted))
	}

	// 30 minutes left: a new token, and the old one's Secret goes.
	s.Data["expiration"] = []byte(time.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339))
	if _, err := cs.CoreV1().Secrets("kube-system").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	renewed, err := a.createJoinToken(ctx, cs, "c1")
	if err != nil || renewed.ID == info.ID {
		t.Fatalf("token about to expire: %+v, %v, want a new one", renewed, err)
	}
	if _, err := cs.CoreV1().Secrets("kube-system").Get(ctx, s.Name, metav1.GetOptions{}); !notFound(err) {
		t.Errorf("the expiring token's Secret is still there: %v", err)
	}
	if stored, _ := tokens.JoinToken(ctx, "c1"); stored.ID != renewed.ID {
		t.Errorf("stored token %s, want the new one %s", stored.ID, renewed.ID)
	}
}

// TestCreateJoinTokenWithoutStore fails plainly.
func TestCreateJoinTokenWithoutStore(t *testing.T) {
	a := &Activities{}
	if _, err := a.CreateJoinToken(context.Background(), "c1"); err == nil || errors.Is(err, domain.ErrNotFound) {
		t.Errorf("without a store: %v", err)
	}
}
