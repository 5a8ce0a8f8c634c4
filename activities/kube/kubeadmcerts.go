package kube

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// CertificateKeys gives the kubeadm-certs activities what they need of a cluster's
// bootstrap material; every value is secret and stays in the activity.
type CertificateKeys interface {
	// SharedCAFiles are the shared certificates and keys (pki.SharedCAFiles).
	SharedCAFiles(ctx context.Context, clusterID string) (map[string][]byte, error)
	// NodeJoinToken is the bootstrap token joining nodes' guestinfo carries.
	NodeJoinToken(ctx context.Context, clusterID string) (pki.BootstrapToken, error)
	// Day0Token is the bootstrap token of the cluster's kubeadm init.
	Day0Token(ctx context.Context, clusterID string) (pki.BootstrapToken, error)
	PutCertificateKey(ctx context.Context, clusterID, key string) error
	// CertificateKey wraps domain.ErrNotFound when the cluster has none.
	CertificateKey(ctx context.Context, clusterID string) (string, error)
	// DeleteCertificateKey is idempotent.
	DeleteCertificateKey(ctx context.Context, clusterID string) error
}

// UploadCerts gets a control plane's join ready without CA keys in its guestinfo, as
// `kubeadm init phase upload-certs` does: a fresh random certificate key, stored
// sealed in the inventory (the node's guestinfo is rendered with it), and the Secret
// kube-system/kubeadm-certs holding the shared certificates and keys, each encrypted
// with AES-256-GCM under that key, owned by the bootstrap-token Secret of the token
// the node joins with (so that it goes when the token does), with the Role and
// RoleBinding that let that token's group read it. A stored key whose Secret is in the
// cluster and opens under it is kept. The key never leaves the activity.
func (a *Activities) UploadCerts(ctx context.Context, clusterID string) error {
	if a.Certs == nil {
		return errors.New("no certificate key store configured")
	}
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return a.uploadCerts(ctx, cs, clusterID)
}

// uploadCerts is UploadCerts with the cluster's client.
func (a *Activities) uploadCerts(ctx context.Context, cs kubernetes.Interface, clusterID string) error {
	tok, err := a.Certs.NodeJoinToken(ctx, clusterID)
	if err != nil {
		return fmt.Errorf("the join token of cluster %s: %w", clusterID, err)
	}
	secrets := cs.CoreV1().Secrets(metav1.NamespaceSystem)
	owner, err := secrets.Get(ctx, bootstrapTokenPrefix+tok.ID, metav1.GetOptions{})
	if err != nil {
		// kubeadm init creates the day-0 token's Secret after the API server is up.
		return apiError(err, clusterID, "read bootstrap token "+tok.ID)
	}
	if !holdsToken(owner, tok) {
		return fmt.Errorf("bootstrap token %s in cluster %s is not the one the nodes join with", tok.ID, clusterID)
	}
	if err := ensureKubeadmCertsRBAC(ctx, cs, clusterID); err != nil {
		return err
	}
	if ok, err := a.currentKubeadmCerts(ctx, cs, clusterID, owner); err != nil || ok {
		return err
	}
	key, err := pki.NewCertificateKey()
	if err != nil {
		return err
	}
	files, err := a.Certs.SharedCAFiles(ctx, clusterID)
	if err != nil {
		return err
	}
	data, err := pki.EncryptKubeadmCerts(files, key)
	if err != nil {
		return fmt.Errorf("kubeadm-certs of cluster %s: %w", clusterID, err)
	}
	// Stored first: no Secret is in the cluster under a key the inventory lost.
	if err := a.Certs.PutCertificateKey(ctx, clusterID, key); err != nil {
		return fmt.Errorf("store the certificate key of cluster %s: %w", clusterID, err)
	}
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: pki.KubeadmCertsSecret, Namespace: metav1.NamespaceSystem,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, corev1.SchemeGroupVersion.WithKind("Secret"))}},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
	cur, err := secrets.Get(ctx, pki.KubeadmCertsSecret, metav1.GetOptions{})
	switch {
	case notFound(err):
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		cur.OwnerReferences, cur.Type, cur.Data = want.OwnerReferences, want.Type, want.Data
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return apiError(err, clusterID, "write Secret "+pki.KubeadmCertsSecret)
	}
	return nil
}

// currentKubeadmCerts reports whether the cluster's kubeadm-certs Secret can serve
// the coming join as it is: the stored key opens it and it belongs to the token's
// Secret owner.
func (a *Activities) currentKubeadmCerts(ctx context.Context, cs kubernetes.Interface, clusterID string, owner *corev1.Secret) (bool, error) {
	key, err := a.Certs.CertificateKey(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("the certificate key of cluster %s: %w", clusterID, err)
	}
	s, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, pki.KubeadmCertsSecret, metav1.GetOptions{})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, apiError(err, clusterID, "read Secret "+pki.KubeadmCertsSecret)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != owner.UID || s.DeletionTimestamp != nil {
		return false, nil
	}
	_, err = pki.DecryptKubeadmCerts(s.Data, key)
	return err == nil, nil
}

// ensureKubeadmCertsRBAC makes the Role and RoleBinding kubeadm makes for
// kubeadm-certs: the joining nodes' bootstrap tokens may get that one Secret.
func ensureKubeadmCertsRBAC(ctx context.Context, cs kubernetes.Interface, clusterID string) error {
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: pki.KubeadmCertsRole, Namespace: metav1.NamespaceSystem},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"},
			ResourceNames: []string{pki.KubeadmCertsSecret}}},
	}
	roles := cs.RbacV1().Roles(metav1.NamespaceSystem)
	cur, err := roles.Get(ctx, role.Name, metav1.GetOptions{})
	switch {
	case notFound(err):
		_, err = roles.Create(ctx, role, metav1.CreateOptions{})
	case err == nil:
		cur.Rules = role.Rules
		_, err = roles.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return apiError(err, clusterID, "write Role "+role.Name)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: pki.KubeadmCertsRole, Namespace: metav1.NamespaceSystem},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: pki.KubeadmCertsRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: joinTokenGroup}},
	}
	bindings := cs.RbacV1().RoleBindings(metav1.NamespaceSystem)
	curB, err := bindings.Get(ctx, binding.Name, metav1.GetOptions{})
	switch {
	case notFound(err):
		_, err = bindings.Create(ctx, binding, metav1.CreateOptions{})
	case err == nil:
		curB.Subjects = binding.Subjects // the role ref cannot change
		_, err = bindings.Update(ctx, curB, metav1.UpdateOptions{})
	}
	if err != nil {
		return apiError(err, clusterID, "write RoleBinding "+binding.Name)
	}
	return nil
}

// DeleteKubeadmCerts deletes the cluster's kubeadm-certs Secret once the control plane
// it was uploaded for has joined, then the stored certificate key. None is no error.
func (a *Activities) DeleteKubeadmCerts(ctx context.Context, clusterID string) error {
	if a.Certs == nil {
		return errors.New("no certificate key store configured")
	}
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return a.deleteKubeadmCerts(ctx, cs, clusterID)
}

// deleteKubeadmCerts is DeleteKubeadmCerts with the cluster's client.
func (a *Activities) deleteKubeadmCerts(ctx context.Context, cs kubernetes.Interface, clusterID string) error {
	err := cs.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, pki.KubeadmCertsSecret, metav1.DeleteOptions{})
	if err != nil && !notFound(err) {
		return apiError(err, clusterID, "delete Secret "+pki.KubeadmCertsSecret)
	}
	if err := a.Certs.DeleteCertificateKey(ctx, clusterID); err != nil {
		return fmt.Errorf("delete the certificate key of cluster %s: %w", clusterID, err)
	}
	return nil
}
