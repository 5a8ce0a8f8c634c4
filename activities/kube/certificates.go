package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"go.temporal.io/sdk/temporal"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
)

// Names of the cluster-wide certificates in a certificate check.
const (
	// ServingCertificateName is the API server's serving certificate at the endpoint.
	ServingCertificateName = "apiserver"
	// AdminKubeconfigName is the client certificate of the service's admin kubeconfig.
	AdminKubeconfigName = "admin-kubeconfig"
	// clusterCAName is kubeadm's name of the cluster CA, which signs both.
	clusterCAName = "ca"
)

// ErrTypeNotRenewed: the API server still presents a certificate that expires no
// later than the one it had before a renewal.
const ErrTypeNotRenewed = "CertificateNotRenewed"

// dialTimeout bounds one TLS handshake with an API server.
const dialTimeout = 10 * time.Second

// ServingCertificateInput says which API server to look at.
type ServingCertificateInput struct {
	ClusterID string `json:"cluster_id"`
	// Host is one control-plane node's address, whose API server is reached on the
	// endpoint's port; "" reads the one at the cluster's control-plane endpoint.
	Host string `json:"host,omitempty"`
	// Wait waits until that API server answers /readyz and, when NotAfterBeyond is
	// set, presents a certificate that expires after it (a restart after a renewal).
	Wait           bool      `json:"wait,omitempty"`
	NotAfterBeyond time.Time `json:"not_after_beyond,omitzero"`
}

// ServingCertificate returns the API server's serving certificate as it presents it
// over TLS, verified against the cluster CA and the name it is reached by. A
// certificate of another CA fails without retry.
func (a *Activities) ServingCertificate(ctx context.Context, in ServingCertificateInput) (domain.Certificate, error) {
	cfg, err := a.restConfig(ctx, in.ClusterID)
	if err != nil {
		return domain.Certificate{}, err
	}
	if in.Host != "" {
		u, err := url.Parse(cfg.Host)
		if err != nil {
			return domain.Certificate{}, temporal.NewNonRetryableApplicationError("the admin kubeconfig's server is not a URL", ErrTypeBadKubeconfig, nil)
		}
		cfg.Host = "https://" + net.JoinHostPort(in.Host, u.Port())
	}
	if !in.Wait {
		return servingCertificate(ctx, cfg)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return domain.Certificate{}, err
	}
	var cert domain.Certificate
	err = wait(ctx, func() (bool, string, error) {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if untrusted(err) {
			return false, "", temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("the API server at %s does not present a certificate of the cluster CA", cfg.Host), ErrTypeUntrustedServer, err)
		}
		if err != nil || string(body) != "ok" {
			return false, "waiting for the API server at " + cfg.Host, nil
		}
		if cert, err = servingCertificate(ctx, cfg); err != nil {
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.NonRetryable() {
				return false, "", err
			}
			return false, "reading the certificate of the API server at " + cfg.Host, nil
		}
		if !in.NotAfterBeyond.IsZero() && !cert.NotAfter.After(in.NotAfterBeyond) {
			return false, fmt.Sprintf("the API server at %s still presents a certificate expiring %s", cfg.Host, cert.NotAfter.Format(time.RFC3339)), nil
		}
		return true, "", nil
	})
	if err != nil && ctx.Err() != nil && !in.NotAfterBeyond.IsZero() {
		return cert, temporal.NewApplicationError(fmt.Sprintf("the API server at %s presents a certificate expiring %s, not after %s",
			cfg.Host, cert.NotAfter.Format(time.RFC3339), in.NotAfterBeyond.Format(time.RFC3339)), ErrTypeNotRenewed, err)
	}
	return cert, err
}

// servingCertificate dials the API server of cfg and returns its leaf certificate,
// verified against cfg's CA for the host it is reached by.
func servingCertificate(ctx context.Context, cfg *rest.Config) (domain.Certificate, error) {
	u, err := url.Parse(cfg.Host)
	if err != nil || u.Host == "" {
		return domain.Certificate{}, temporal.NewNonRetryableApplicationError("the admin kubeconfig's server is not a URL", ErrTypeBadKubeconfig, nil)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(cfg.CAData) {
		return domain.Certificate{}, temporal.NewNonRetryableApplicationError("the admin kubeconfig holds no cluster CA", ErrTypeBadKubeconfig, nil)
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: dialTimeout}, Config: &tls.Config{RootCAs: roots, ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}}
	conn, err := dialer.DialContext(ctx, "tcp", u.Host)
	if untrusted(err) {
		return domain.Certificate{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the API server at %s does not present a certificate of the cluster CA", u.Host), ErrTypeUntrustedServer, err)
	}
	if err != nil {
		return domain.Certificate{}, fmt.Errorf("TLS to the API server at %s: %w", u.Host, err)
	}
	defer conn.Close()
	leaf := conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
	return certificateOf(leaf, ServingCertificateName, domain.CertSourceAPIServerTLS, time.Now()), nil
}

// AdminClientCertificate returns the client certificate of the service's own admin
// kubeconfig of the cluster (never its key).
func (a *Activities) AdminClientCertificate(ctx context.Context, clusterID string) (domain.Certificate, error) {
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, clusterID)
	if err != nil {
		return domain.Certificate{}, fmt.Errorf("kubeconfig of cluster %s: %w", clusterID, err)
	}
	cert, err := bootstrap.KubeconfigClientCertificate(kubeconfig)
	if err != nil {
		return domain.Certificate{}, temporal.NewNonRetryableApplicationError("admin kubeconfig: "+err.Error(), ErrTypeBadKubeconfig, nil)
	}
	return certificateOf(cert, AdminKubeconfigName, domain.CertSourceServiceKubeconfig, time.Now()), nil
}

// restConfig loads the cluster's admin kubeconfig.
func (a *Activities) restConfig(ctx context.Context, clusterID string) (*rest.Config, error) {
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of cluster %s: %w", clusterID, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("the admin kubeconfig does not load", ErrTypeBadKubeconfig, nil)
	}
	cfg.Timeout = 15 * time.Second
	return cfg, nil
}

// certificateOf is what a check records of a certificate of the cluster CA.
func certificateOf(cert *x509.Certificate, name, source string, now time.Time) domain.Certificate {
	return domain.Certificate{
		Name: name, Subject: cert.Subject.CommonName, CAName: clusterCAName,
		NotAfter: cert.NotAfter.UTC(), DaysLeft: domain.DaysUntil(cert.NotAfter, now),
		Source: source, CheckedAt: now.UTC(),
	}
}
