package pki

import (
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Identity of the bootstrap administrator in AdminKubeconfig.
const (
	AdminUser  = "kubernetes-admin"
	AdminGroup = "system:masters"
)

// Kubeconfig returns a kubeconfig file with one cluster (clusterName at
// server, trusting caPEM), one user authenticated by a client certificate,
// and one context "user@clusterName" that is current, with every
// credential embedded (the layout of kubeadm's admin.conf).
func Kubeconfig(clusterName, server string, caPEM []byte, user string, certPEM, keyPEM []byte) ([]byte, error) {
	switch {
	case clusterName == "":
		return nil, errors.New("pki: kubeconfig: cluster name is required")
	case server == "":
		return nil, errors.New("pki: kubeconfig: server is required")
	case user == "":
		return nil, errors.New("pki: kubeconfig: user is required")
	case len(caPEM) == 0 || len(certPEM) == 0 || len(keyPEM) == 0:
		return nil, errors.New("pki: kubeconfig: CA, client certificate and key are required")
	}
	contextName := user + "@" + clusterName
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{
		Server:                   server,
		CertificateAuthorityData: caPEM,
	}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{
		ClientCertificateData: certPEM,
		ClientKeyData:         keyPEM,
	}
	cfg.Contexts[contextName] = &clientcmdapi.Context{
		Cluster:  clusterName,
		AuthInfo: user,
	}
	cfg.CurrentContext = contextName
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("pki: kubeconfig for %q: %w", clusterName, err)
	}
	return out, nil
}

// AdminKubeconfig issues a client certificate for the bootstrap
// administrator (CN kubernetes-admin, O system:masters) from the cluster CA
// and returns a kubeconfig for it.
//
// Since Kubernetes 1.29 kubeadm's admin.conf uses the group
// kubeadm:cluster-admins, bound to cluster-admin by an RBAC binding that
// kubeadm creates, and only super-admin.conf is in system:masters.
// Clusterwright needs an identity that works before any RBAC object
// exists (and in the simulator's API servers, which kubeadm does not
// set up), so its bootstrap admin is in system:masters, which
// bypasses authorization. Treat this kubeconfig as break-glass
// material: it cannot be revoked short of rotating the CA.
func AdminKubeconfig(clusterName, server string, ca *CA) ([]byte, error) {
	certPEM, keyPEM, err := ca.Issue(LeafRequest{
		CommonName:    AdminUser,
		Organizations: []string{AdminGroup},
		Client:        true,
	})
	if err != nil {
		return nil, fmt.Errorf("pki: admin kubeconfig for %q: %w", clusterName, err)
	}
	return Kubeconfig(clusterName, server, ca.CertPEM, AdminUser, certPEM, keyPEM)
}
