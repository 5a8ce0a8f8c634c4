package bootstrap

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/clusterwright/clusterwright/pki"
)

// UserKubeconfigRequest asks for a personal kubeconfig.
type UserKubeconfigRequest struct {
	// User is the Kubernetes user name (the certificate's CN), e.g.
	// domain.KubeUser(token name); Groups its groups (O), e.g. the role's KubeGroup.
	User   string
	Groups []string
	// TTL is how long the certificate is valid from now.
	TTL time.Duration
}

// UserKubeconfig is an issued personal kubeconfig.
type UserKubeconfig struct {
	Kubeconfig  []byte
	Certificate *x509.Certificate
	// AccessProblem, when set, says why the AccessBindings of a cluster made before
	// them could not be installed now: the kubeconfig is valid, but the cluster may not
	// authorize its group until they are. Never secret.
	AccessProblem error
}

// accessTimeout bounds the installation of the AccessBindings while a caller waits
// for a kubeconfig.
const accessTimeout = 10 * time.Second

// IssueUserKubeconfig issues a new client certificate for req from the cluster CA (a
// new key and a random serial on every call; NotAfter now + TTL) and returns a
// kubeconfig for it whose server is the cluster's control-plane endpoint and whose CA is
// the cluster CA; the user and context are named after req.User. For a cluster made
// before the service installed the AccessBindings (its service kubeconfig is still in
// system:masters) it installs them first. A cluster without material yet is an error
// wrapping domain.ErrNotFound.
func (s *Source) IssueUserKubeconfig(ctx context.Context, clusterID string, req UserKubeconfigRequest) (UserKubeconfig, error) {
	c, err := s.Store.GetClusterByID(ctx, clusterID)
	if err != nil {
		return UserKubeconfig{}, err
	}
	m, err := s.Material(ctx, clusterID)
	if err != nil {
		return UserKubeconfig{}, fmt.Errorf("material of cluster %s: %w", c.Name, err)
	}
	var out UserKubeconfig
	legacy, err := s.legacyIdentity(ctx, clusterID)
	if err != nil {
		return UserKubeconfig{}, fmt.Errorf("service kubeconfig of cluster %s: %w", c.Name, err)
	}
	if legacy {
		actx, cancel := context.WithTimeout(ctx, accessTimeout)
		out.AccessProblem = s.EnsureAccess(actx, clusterID)
		cancel()
	}
	out.Kubeconfig, out.Certificate, err = pki.ClientKubeconfig(c.Name, s.server(ctx, c), m.PKI.CA, pki.ClientCertificate{
		User: req.User, Groups: req.Groups, NotAfter: time.Now().Add(req.TTL),
	})
	if err != nil {
		return UserKubeconfig{}, fmt.Errorf("kubeconfig of cluster %s for %s: %w", c.Name, req.User, err)
	}
	return out, nil
}
