package kubesphere

import (
	"context"
	"fmt"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreac "k8s.io/client-go/applyconfigurations/core/v1"
	rbacac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// fieldManager owns the fields Clusterwright applies (server-side apply):
// applying the same object again writes nothing.
const fieldManager = "clusterwright"

// applyOptions take ownership of the fields applied, from kubectl or an
// earlier hand-made setup.
var applyOptions = metav1.ApplyOptions{FieldManager: fieldManager, Force: true}

// memberAccess is what a host needs of a member: its ServiceAccount's
// token and the CA the token controller put beside it.
type memberAccess struct {
	token, ca []byte
}

// ensureAccess makes the member's ServiceAccount for host, its
// ClusterRoleBinding to cluster-admin and its token Secret, and returns the
// token once the token controller filled the Secret. A Secret that is gone
// (deleted to rotate the token, or by the token controller because its
// ServiceAccount was replaced) is made again.
func (c *clients) ensureAccess(ctx context.Context, host string, timeout time.Duration) (memberAccess, error) {
	ns, name, l := MemberNamespace, ServiceAccountName(host), memberLabels(host)
	sa := coreac.ServiceAccount(name, ns).WithLabels(l)
	if _, err := c.kube.CoreV1().ServiceAccounts(ns).Apply(ctx, sa, applyOptions); err != nil {
		return memberAccess{}, fmt.Errorf("apply ServiceAccount %s/%s in cluster %s: %w", ns, name, c.cluster, err)
	}
	binding := rbacac.ClusterRoleBinding(name).WithLabels(l).
		WithRoleRef(rbacac.RoleRef().WithAPIGroup("rbac.authorization.k8s.io").WithKind("ClusterRole").WithName(memberRole)).
		WithSubjects(rbacac.Subject().WithKind(rbacKindServiceAccount).WithNamespace(ns).WithName(name))
	if _, err := c.kube.RbacV1().ClusterRoleBindings().Apply(ctx, binding, applyOptions); err != nil {
		return memberAccess{}, fmt.Errorf("apply ClusterRoleBinding %s in cluster %s: %w", name, c.cluster, err)
	}
	secretName := tokenSecretName(host)
	object := fmt.Sprintf("Secret %s/%s in cluster %s", ns, secretName, c.cluster)
	secret := coreac.Secret(secretName, ns).WithLabels(l).
		WithAnnotations(map[string]string{corev1.ServiceAccountNameKey: name}).
		WithType(corev1.SecretTypeServiceAccountToken)
	apply := func(ctx context.Context) error {
		if _, err := c.kube.CoreV1().Secrets(ns).Apply(ctx, secret, applyOptions); err != nil {
			return sensitiveError("apply", object, err)
		}
		return nil
	}
	if err := apply(ctx); err != nil {
		return memberAccess{}, err
	}
	var access memberAccess
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		waiting := fmt.Sprintf("waiting for the token controller of cluster %s to fill Secret %s/%s", c.cluster, ns, secretName)
		s, err := c.kube.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, waiting, apply(ctx)
		}
		if err != nil {
			return false, "", sensitiveError("read", object, err)
		}
		current, err := c.kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", fmt.Errorf("get ServiceAccount %s/%s in cluster %s: %w", ns, name, c.cluster, err)
		}
		access = memberAccess{token: s.Data[corev1.ServiceAccountTokenKey], ca: s.Data[corev1.ServiceAccountRootCAKey]}
		issued := len(access.token) > 0 && s.Annotations[corev1.ServiceAccountUIDKey] == string(current.UID)
		return issued, waiting, nil
	})
	if err == errTimeout {
		return memberAccess{}, timedOut(ErrTypeTokenNotIssued, progress)
	}
	return access, err
}

const rbacKindServiceAccount = "ServiceAccount"

// buildKubeconfig is the kubeconfig the host uses for member: its API
// endpoint (host:port), the CA to trust (PEM) and the ServiceAccount's
// token. The same input gives the same bytes.
func buildKubeconfig(member Cluster, endpoint, user string, ca, token []byte) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[member.Name] = &clientcmdapi.Cluster{Server: "https://" + endpoint, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: string(token)}
	cfg.Contexts[member.Name] = &clientcmdapi.Context{Cluster: member.Name, AuthInfo: user}
	cfg.CurrentContext = member.Name
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		// Never wrap: the encoder's message could quote the token.
		return nil, fmt.Errorf("encode the kubeconfig of member %s", member)
	}
	return out, nil
}

// verifyKubeconfig waits until the member's API server takes kubeconfig as
// the ServiceAccount username (the token authenticator may lag a fresh
// Secret by a moment).
func verifyKubeconfig(ctx context.Context, member Cluster, kubeconfig []byte, username string, timeout time.Duration) error {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("load the kubeconfig built for member %s", member)
	}
	cfg.Timeout = 30 * time.Second
	cfg.UserAgent = "clusterwright (kubesphere members)"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client of the kubeconfig built for member %s", member)
	}
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		review, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if apierrors.IsUnauthorized(err) {
			return false, fmt.Sprintf("waiting for cluster %s to accept the token of %s", member, username), nil
		}
		if err != nil {
			return false, "", fmt.Errorf("review the kubeconfig built for member %s: %w", member, err)
		}
		got := review.Status.UserInfo.Username
		if got != username {
			return false, "", nonRetryable(ErrTypeTokenRejected, "cluster %s takes the kubeconfig built for it as %q, not %q", member, got, username)
		}
		return true, "", nil
	})
	if err == errTimeout {
		return timedOut(ErrTypeTokenRejected, progress)
	}
	return err
}
