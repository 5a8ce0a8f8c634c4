package kube

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DeleteDay0Token deletes the Secret kube-system/bootstrap-token-<id> of the cluster's
// day-0 bootstrap token once its provision's nodes have all joined: kubeadm init makes
// it valid for a day, and no node needs it after the provision (Day-2 operations make
// their own short-lived join token). Only a Secret holding that very token is deleted;
// none is no error, so a retry is harmless. The token never leaves the activity.
func (a *Activities) DeleteDay0Token(ctx context.Context, clusterID string) error {
	if a.Certs == nil {
		return errors.New("no bootstrap material configured")
	}
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return a.deleteDay0Token(ctx, cs, clusterID)
}

// deleteDay0Token is DeleteDay0Token with the cluster's client.
func (a *Activities) deleteDay0Token(ctx context.Context, cs kubernetes.Interface, clusterID string) error {
	tok, err := a.Certs.Day0Token(ctx, clusterID)
	if err != nil {
		return fmt.Errorf("the day-0 token of cluster %s: %w", clusterID, err)
	}
	secrets := cs.CoreV1().Secrets(metav1.NamespaceSystem)
	s, err := secrets.Get(ctx, bootstrapTokenPrefix+tok.ID, metav1.GetOptions{})
	if notFound(err) {
		return nil
	}
	if err != nil {
		return apiError(err, clusterID, "read bootstrap token "+tok.ID)
	}
	if !holdsToken(s, tok) {
		return nil // another token of that ID: not ours to touch
	}
	// Preconditions: delete only the Secret read, not one made again since.
	uid := s.UID
	err = secrets.Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !notFound(err) {
		return apiError(err, clusterID, "delete bootstrap token "+tok.ID)
	}
	return nil
}
