// Package kube holds the activities that talk to a cluster's Kubernetes API
// as its administrator: waiting for the API server and for nodes, and the
// Kubernetes side of Day-2 node operations (cordon, drain, delete, versions,
// join tokens). The admin kubeconfig is read inside the activity, never
// passed by workflows.
package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
)

// HeartbeatInterval is how often the waiting activities heartbeat;
// workflows set their heartbeat timeout to a few times this.
const HeartbeatInterval = 5 * time.Second

// pollInterval is how often the waits look again.
var pollInterval = 2 * time.Second

// Temporal error types of the Kubernetes activities.
const (
	// ErrTypeUntrustedServer: the API server's certificate is not signed by
	// the cluster CA (someone else answers at the endpoint).
	ErrTypeUntrustedServer = "APIServerNotTrusted"
	ErrTypeBadKubeconfig   = "BadKubeconfig"
)

// Access gives the admin kubeconfig of a cluster by id.
type Access interface {
	AdminKubeconfig(ctx context.Context, clusterID string) ([]byte, error)
}

// AccessInstaller installs the RBAC bindings of the service's identity and of the API
// roles' groups in a cluster (bootstrap.Source.EnsureAccess).
type AccessInstaller interface {
	EnsureAccess(ctx context.Context, clusterID string) error
}

// Activities talk to clusters' API servers.
type Activities struct {
	Clusters Access
	// Bindings, when set, installs the RBAC bindings once WaitAPIServer has seen the
	// API server ready (at provision, restore and certificate renewal).
	Bindings AccessInstaller
	// Tokens keeps the join tokens CreateJoinToken makes.
	Tokens JoinTokens
}

// client returns a clientset for the cluster, verifying its serving
// certificate against the cluster CA in the kubeconfig.
func (a *Activities) client(ctx context.Context, clusterID string) (kubernetes.Interface, error) {
	kubeconfig, err := a.Clusters.AdminKubeconfig(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of cluster %s: %w", clusterID, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("the admin kubeconfig does not load", ErrTypeBadKubeconfig, nil)
	}
	cfg.Timeout = 15 * time.Second
	cfg.QPS, cfg.Burst = 20, 40
	return kubernetes.NewForConfig(cfg)
}

// untrusted reports whether err is a TLS verification failure against the
// cluster CA.
func untrusted(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host)
}

// wait calls check every pollInterval until it reports done, returns an
// error, or ctx ends; it heartbeats the last progress message.
func wait(ctx context.Context, check func() (done bool, progress string, err error)) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	for {
		done, progress, err := check()
		if err != nil || done {
			return err
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, progress)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", progress, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// apiError wraps err, an API server's answer to what: a server whose certificate
// the cluster CA did not sign fails without retry, anything else with retries.
func apiError(err error, clusterID, what string) error {
	if untrusted(err) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: the API server of cluster %s does not present a certificate of the cluster CA", what, clusterID),
			ErrTypeUntrustedServer, err)
	}
	return fmt.Errorf("%s in cluster %s: %w", what, clusterID, err)
}

// notFound reports whether err is the API server's NotFound.
func notFound(err error) bool { return apierrors.IsNotFound(err) }
