package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The service's own identity in a cluster: a client certificate in a group of its own,
// bound to cluster-admin by a ClusterRoleBinding the service installs (see
// bootstrap.AccessBindings), so that it passes through RBAC like any user and can be
// revoked inside the cluster by deleting that binding.
const (
	ServiceUser  = "clusterwright-service"
	ServiceGroup = "clusterwright:service"
	// ServiceValidity is the lifetime of the service's certificate; the service
	// issues a new one when a third of it is left.
	ServiceValidity = DefaultLeafValidity
	// BootstrapUser is the transient identity in system:masters that installs the
	// RBAC bindings before any of them exists. Its kubeconfig is never stored.
	BootstrapUser = "clusterwright-bootstrap"
	// MastersGroup bypasses authorization in every API server.
	MastersGroup = "system:masters"
)

// ClientCertificate is a client identity to issue a kubeconfig for.
type ClientCertificate struct {
	// User is the certificate's CN, the Kubernetes user name; it also names the
	// kubeconfig's user and context.
	User string
	// Groups are the certificate's O values, the Kubernetes groups.
	Groups []string
	// NotBefore and NotAfter bound the validity. A zero NotBefore is now minus the
	// usual backdate for clock skew; NotAfter is capped at the CA's.
	NotBefore, NotAfter time.Time
}

// ClientKubeconfig issues a client certificate for id from the cluster CA (a new key and
// a random serial every time) and returns a kubeconfig for it at server, and the
// certificate. Tests give a NotAfter in the past to make an expired one.
func ClientKubeconfig(clusterName, server string, ca *CA, id ClientCertificate) ([]byte, *x509.Certificate, error) {
	if ca == nil || ca.Cert == nil {
		return nil, nil, errors.New("pki: client kubeconfig: CA is not initialised")
	}
	notBefore := id.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-certificateBackdate)
	}
	if !id.NotAfter.After(notBefore) {
		return nil, nil, fmt.Errorf("pki: client kubeconfig for %q: NotAfter %s is not after NotBefore %s", id.User, id.NotAfter, notBefore)
	}
	certPEM, keyPEM, err := ca.Issue(LeafRequest{
		CommonName: id.User, Organizations: id.Groups, Client: true,
		NotBefore: notBefore, Validity: id.NotAfter.Sub(notBefore),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("pki: client kubeconfig for %q: %w", id.User, err)
	}
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, nil, err
	}
	kubeconfig, err := Kubeconfig(clusterName, server, ca.CertPEM, id.User, certPEM, keyPEM)
	if err != nil {
		return nil, nil, err
	}
	return kubeconfig, cert, nil
}

// ServiceKubeconfig issues the service's own identity (CN clusterwright-service, O
// clusterwright:service, ServiceValidity) and returns its kubeconfig.
func ServiceKubeconfig(clusterName, server string, ca *CA, now time.Time) ([]byte, *x509.Certificate, error) {
	notBefore := now.Add(-certificateBackdate)
	return ClientKubeconfig(clusterName, server, ca, ClientCertificate{
		User: ServiceUser, Groups: []string{ServiceGroup}, NotBefore: notBefore, NotAfter: notBefore.Add(ServiceValidity),
	})
}

// BootstrapKubeconfig issues a short-lived certificate in system:masters, for
// installing RBAC bindings before any exists; callers keep it in memory only.
func BootstrapKubeconfig(clusterName, server string, ca *CA, validity time.Duration) ([]byte, error) {
	kubeconfig, _, err := ClientKubeconfig(clusterName, server, ca, ClientCertificate{
		User: BootstrapUser, Groups: []string{MastersGroup}, NotAfter: time.Now().Add(validity),
	})
	return kubeconfig, err
}

// IsMasters reports whether cert is in system:masters, as the bootstrap admin
// kubeconfig of clusters made before the service had an identity of its own is.
func IsMasters(cert *x509.Certificate) bool {
	return slices.Contains(cert.Subject.Organization, MastersGroup)
}

// RenewalDue reports whether cert has a third of its lifetime or less left at now.
func RenewalDue(cert *x509.Certificate, now time.Time) bool {
	lifetime := cert.NotAfter.Sub(cert.NotBefore)
	return !now.Before(cert.NotAfter.Add(-lifetime / 3))
}
