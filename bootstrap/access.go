package bootstrap

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rbacac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// AccessBinding is one ClusterRoleBinding the service installs in every cluster: the
// group Group gets the ClusterRole ClusterRole, under the binding's name Name (the
// group's name too).
type AccessBinding struct {
	Name, ClusterRole, Group string
}

// FieldManager is the server-side apply field manager of the objects the service
// applies to clusters' RBAC.
const FieldManager = "clusterwright"

// bootstrapValidity is the lifetime of the transient system:masters certificate that
// installs the bindings; it lives in memory only.
const bootstrapValidity = 10 * time.Minute

// AccessBindings are the ClusterRoleBindings of every cluster: the service's own
// identity and each API role's group (admins → cluster-admin, operators → edit,
// viewers → view).
func AccessBindings() []AccessBinding {
	out := []AccessBinding{{Name: pki.ServiceGroup, ClusterRole: "cluster-admin", Group: pki.ServiceGroup}}
	for _, r := range []domain.Role{domain.RoleAdmin, domain.RoleOperator, domain.RoleViewer} {
		out = append(out, AccessBinding{Name: r.KubeGroup(), ClusterRole: r.KubeClusterRole(), Group: r.KubeGroup()})
	}
	return out
}

// ApplyAccessBindings creates or updates the AccessBindings in the cluster of cs by
// server-side apply; it is idempotent.
func ApplyAccessBindings(ctx context.Context, cs kubernetes.Interface) error {
	const rbacGroup = "rbac.authorization.k8s.io"
	for _, b := range AccessBindings() {
		obj := rbacac.ClusterRoleBinding(b.Name).
			WithLabels(map[string]string{"app.kubernetes.io/managed-by": FieldManager}).
			WithRoleRef(rbacac.RoleRef().WithAPIGroup(rbacGroup).WithKind("ClusterRole").WithName(b.ClusterRole)).
			WithSubjects(rbacac.Subject().WithAPIGroup(rbacGroup).WithKind("Group").WithName(b.Group))
		if _, err := cs.RbacV1().ClusterRoleBindings().Apply(ctx, obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
			return fmt.Errorf("apply ClusterRoleBinding %s: %w", b.Name, err)
		}
	}
	return nil
}

// EnsureAccess installs the AccessBindings in the cluster, as a transient
// system:masters identity issued from the cluster CA for the purpose (needed because the
// service's own identity is authorized only by one of these bindings), and then
// replaces a stored service kubeconfig that is still the system:masters one of clusters
// made before the service had an identity of its own. It is idempotent; the workflows
// reach it through the activity that waits for the API server.
func (s *Source) EnsureAccess(ctx context.Context, clusterID string) error {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return err
	}
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return fmt.Errorf("material of cluster %s: %w", c.Name, err)
	}
	server := s.server(ctx, c)
	kubeconfig, err := pki.BootstrapKubeconfig(c.Name, server, m.PKI.CA, bootstrapValidity)
	if err != nil {
		return fmt.Errorf("bootstrap identity of cluster %s: %w", c.Name, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return errors.New("the bootstrap kubeconfig does not load")
	}
	cfg.Timeout = 15 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client of cluster %s: %w", c.Name, err)
	}
	if err := ApplyAccessBindings(ctx, cs); err != nil {
		return fmt.Errorf("RBAC bindings of cluster %s: %w", c.Name, err)
	}
	_, err = s.Store.UpdateClusterSecret(ctx, clusterID, SecretAdminKubeconfig, func(current []byte) ([]byte, error) {
		if cert, err := KubeconfigClientCertificate(current); err == nil && !pki.IsMasters(cert) {
			return current, nil
		}
		next, _, err := pki.ServiceKubeconfig(c.Name, serverOf(current, server), m.PKI.CA, time.Now())
		return next, err
	})
	if err != nil {
		return fmt.Errorf("service identity of cluster %s: %w", c.Name, err)
	}
	return nil
}

// legacyIdentity reports whether the stored service kubeconfig of the cluster is the
// system:masters one of a cluster made before the service had an identity of its own
// (so the cluster may lack the AccessBindings).
func (s *Source) legacyIdentity(ctx context.Context, clusterID string) (bool, error) {
	kubeconfig, err := s.Store.ClusterSecret(ctx, clusterID, SecretAdminKubeconfig)
	if err != nil {
		return false, err
	}
	cert, err := KubeconfigClientCertificate(kubeconfig)
	if err != nil {
		return false, err
	}
	return pki.IsMasters(cert), nil
}

// server is the URL of the cluster's API server: its control-plane endpoint, or else
// the server of the stored service kubeconfig.
func (s *Source) server(ctx context.Context, c domain.Cluster) string {
	if c.ControlPlaneEndpoint != "" {
		return "https://" + c.ControlPlaneEndpoint
	}
	kubeconfig, _ := s.Store.ClusterSecret(ctx, c.ID, SecretAdminKubeconfig)
	return serverOf(kubeconfig, "")
}

// serverOf is the server of kubeconfig, or def when it has none.
func serverOf(kubeconfig []byte, def string) string {
	if cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig); err == nil && cfg.Host != "" {
		return cfg.Host
	}
	return def
}

// certificateOf parses the client certificate of kubeconfig; nil when it has none.
func certificateOf(kubeconfig []byte) *x509.Certificate {
	cert, err := KubeconfigClientCertificate(kubeconfig)
	if err != nil {
		return nil
	}
	return cert
}
