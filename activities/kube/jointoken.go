package kube

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// JoinTokens keeps a cluster's current join token, sealed, in the inventory.
type JoinTokens interface {
	PutJoinToken(ctx context.Context, clusterID string, token pki.BootstrapToken) error
	// JoinToken wraps domain.ErrNotFound when the cluster has none.
	JoinToken(ctx context.Context, clusterID string) (pki.BootstrapToken, error)
	// DeleteJoinToken is idempotent.
	DeleteJoinToken(ctx context.Context, clusterID string) error
}

// JoinTokenInfo is the public half of a join token: never its secret.
type JoinTokenInfo struct {
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
}

// The bootstrap-token API (k8s.io/cluster-bootstrap/token/api) as kubeadm uses it.
const (
	bootstrapTokenPrefix = "bootstrap-token-"
	bootstrapTokenType   = corev1.SecretType("bootstrap.kubernetes.io/token")
	// joinTokenGroup is the group kubeadm gives the tokens of joining nodes, which
	// its RBAC rules let post certificate requests and have them approved.
	joinTokenGroup     = "system:bootstrappers:kubeadm:default-node-token"
	clusterInfo        = "cluster-info"
	jwsSignaturePrefix = "jws-kubeconfig-"
)

// How long a join token lives, and how much of that a reused one must have left.
const (
	joinTokenTTL     = 2 * time.Hour
	joinTokenMinLeft = 30 * time.Minute
)

// CreateJoinToken makes sure the cluster has a join token for nodes joining it while
// it runs (the day-0 token has expired) and returns its ID and expiry: the stored one
// when its Secret is in the cluster with more than 30 minutes left, else a new one,
// stored first (so that no token is in the cluster without the inventory knowing it),
// then created as kubeadm creates tokens (Secret kube-system/bootstrap-token-<id>,
// valid 2 hours). It waits, heartbeating, until the bootstrap signer of the
// controller manager has signed cluster-info with it: joining nodes need that
// signature to trust the cluster.
func (a *Activities) CreateJoinToken(ctx context.Context, clusterID string) (JoinTokenInfo, error) {
	if a.Tokens == nil {
		return JoinTokenInfo{}, errors.New("no join token store configured")
	}
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return JoinTokenInfo{}, err
	}
	return a.createJoinToken(ctx, cs, clusterID)
}

// createJoinToken is CreateJoinToken with the cluster's client.
func (a *Activities) createJoinToken(ctx context.Context, cs kubernetes.Interface, clusterID string) (JoinTokenInfo, error) {
	info, ok, err := a.currentJoinToken(ctx, cs, clusterID)
	if err != nil {
		return JoinTokenInfo{}, err
	}
	if !ok {
		tok, err := pki.NewBootstrapToken()
		if err != nil {
			return JoinTokenInfo{}, err
		}
		if err := a.Tokens.PutJoinToken(ctx, clusterID, tok); err != nil {
			return JoinTokenInfo{}, fmt.Errorf("store the join token of cluster %s: %w", clusterID, err)
		}
		info = JoinTokenInfo{ID: tok.ID, Expires: time.Now().Add(joinTokenTTL).UTC().Truncate(time.Second)}
		_, err = cs.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, joinTokenSecret(tok, info.Expires), metav1.CreateOptions{})
		if err != nil {
			return JoinTokenInfo{}, apiError(err, clusterID, "create bootstrap token "+tok.ID)
		}
	}
	err = wait(ctx, func() (bool, string, error) {
		cm, err := cs.CoreV1().ConfigMaps(metav1.NamespacePublic).Get(ctx, clusterInfo, metav1.GetOptions{})
		switch {
		case untrusted(err):
			return false, "", apiError(err, clusterID, "read cluster-info")
		case err != nil:
			return false, "waiting for the kube-public/cluster-info ConfigMap", nil
		case cm.Data[jwsSignaturePrefix+info.ID] == "":
			return false, "waiting for the bootstrap signer to sign cluster-info with token " + info.ID, nil
		}
		return true, "", nil
	})
	return info, err
}

// currentJoinToken returns the stored join token's info when it can be used again:
// its Secret is in the cluster, holds that token and has enough time left. A Secret
// of the stored token that expires too soon is deleted (a new token replaces it).
func (a *Activities) currentJoinToken(ctx context.Context, cs kubernetes.Interface, clusterID string) (JoinTokenInfo, bool, error) {
	tok, err := a.Tokens.JoinToken(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return JoinTokenInfo{}, false, nil
	}
	if err != nil {
		return JoinTokenInfo{}, false, fmt.Errorf("the join token of cluster %s: %w", clusterID, err)
	}
	secrets := cs.CoreV1().Secrets(metav1.NamespaceSystem)
	s, err := secrets.Get(ctx, bootstrapTokenPrefix+tok.ID, metav1.GetOptions{})
	if notFound(err) {
		return JoinTokenInfo{}, false, nil
	}
	if err != nil {
		return JoinTokenInfo{}, false, apiError(err, clusterID, "read bootstrap token "+tok.ID)
	}
	if !holdsToken(s, tok) {
		return JoinTokenInfo{}, false, nil // another token of that ID: not ours to touch
	}
	expires, err := time.Parse(time.RFC3339, string(s.Data["expiration"]))
	if err == nil && time.Until(expires) > joinTokenMinLeft && s.DeletionTimestamp == nil {
		return JoinTokenInfo{ID: tok.ID, Expires: expires.UTC()}, true, nil
	}
	if err := secrets.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !notFound(err) {
		return JoinTokenInfo{}, false, apiError(err, clusterID, "delete expiring bootstrap token "+tok.ID)
	}
	return JoinTokenInfo{}, false, nil
}

// holdsToken tells whether a bootstrap-token Secret holds tok's secret (compared in
// constant time): a Secret of the same ID may be another token, not ours to touch.
func holdsToken(s *corev1.Secret, tok pki.BootstrapToken) bool {
	return subtle.ConstantTimeCompare(s.Data["token-secret"], []byte(tok.Secret)) == 1
}

// joinTokenSecret is the Secret of a join token, as kubeadm token create writes it.
func joinTokenSecret(tok pki.BootstrapToken, expires time.Time) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: bootstrapTokenPrefix + tok.ID, Namespace: metav1.NamespaceSystem},
		Type:       bootstrapTokenType,
		Data: map[string][]byte{
			"token-id":                       []byte(tok.ID),
			"token-secret":                   []byte(tok.Secret),
			"expiration":                     []byte(expires.UTC().Format(time.RFC3339)),
			"usage-bootstrap-authentication": []byte("true"),
			"usage-bootstrap-signing":        []byte("true"),
			"auth-extra-groups":              []byte(joinTokenGroup),
			"description":                    []byte("Made by Clusterwright for nodes that join the running cluster (scale, replace)."),
		},
	}
}

// DeleteJoinToken deletes the cluster's join token: its Secret in the cluster, then
// the stored copy. None is no error.
func (a *Activities) DeleteJoinToken(ctx context.Context, clusterID string) error {
	if a.Tokens == nil {
		return errors.New("no join token store configured")
	}
	tok, err := a.Tokens.JoinToken(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the join token of cluster %s: %w", clusterID, err)
	}
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return err
	}
	err = cs.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, bootstrapTokenPrefix+tok.ID, metav1.DeleteOptions{})
	if err != nil && !notFound(err) {
		return apiError(err, clusterID, "delete bootstrap token "+tok.ID)
	}
	if err := a.Tokens.DeleteJoinToken(ctx, clusterID); err != nil {
		return fmt.Errorf("delete the join token of cluster %s: %w", clusterID, err)
	}
	return nil
}
