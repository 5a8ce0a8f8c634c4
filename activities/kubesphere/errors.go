package kubesphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Temporal error types of the activities. Those marked not retryable are
// returned as non-retryable application errors: no retry can fix them.
const (
	// ErrTypeInvalidInput: the request is malformed (a name that is no DNS
	// label, a missing id, a cluster registered with itself). Not retryable.
	ErrTypeInvalidInput = "KubeSphereInvalidInput"
	// ErrTypeBadKubeconfig: a cluster's admin kubeconfig does not load. Not
	// retryable.
	ErrTypeBadKubeconfig = "BadKubeconfig"
	// ErrTypeUntrustedServer: an API server's certificate is not signed by
	// the cluster CA. Not retryable.
	ErrTypeUntrustedServer = "APIServerNotTrusted"
	// ErrTypeForbidden: an API server rejects the admin credentials. Not
	// retryable.
	ErrTypeForbidden = "APIServerForbidden"
	// ErrTypeRejected: an API server finds an object invalid. Not retryable.
	ErrTypeRejected = "ObjectRejected"
	// ErrTypeNoEndpoint: the member has no control-plane endpoint in the
	// inventory. Not retryable.
	ErrTypeNoEndpoint = "ClusterNoEndpoint"
	// ErrTypeNotHost: the host is no KubeSphere host (its KubeSphere
	// configuration does not say multicluster.clusterRole host, or it does
	// not serve cluster.kubesphere.io Clusters). Not retryable.
	ErrTypeNotHost = "KubeSphereNotHost"
	// ErrTypeMemberIsHost: the member is a KubeSphere host itself, which
	// KubeSphere does not manage as a member. Not retryable.
	ErrTypeMemberIsHost = "KubeSphereMemberIsHost"
	// ErrTypeBadConfig: a cluster's KubeSphere configuration does not parse.
	// Not retryable.
	ErrTypeBadConfig = "KubeSphereConfigInvalid"
	// ErrTypeNameTaken: the host has a Cluster of the member's name that
	// Clusterwright did not make. Not retryable.
	ErrTypeNameTaken = "KubeSphereClusterNameTaken"
	// ErrTypeTokenNotIssued: the member's token controller did not fill the
	// token Secret in time. Retryable.
	ErrTypeTokenNotIssued = "KubeSphereTokenNotIssued"
	// ErrTypeTokenRejected: the member's API server did not accept the new
	// kubeconfig as the ServiceAccount in time. Retryable.
	ErrTypeTokenRejected = "KubeSphereTokenRejected"
	// ErrTypeCleanupIncomplete: objects did not go away in time (the host's
	// Cluster waits for KubeSphere's finalizer). Retryable.
	ErrTypeCleanupIncomplete = "KubeSphereCleanupIncomplete"
)

// nonRetryable is a non-retryable application error of errType.
func nonRetryable(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, nil)
}

// invalidInput is a non-retryable ErrTypeInvalidInput error.
func invalidInput(format string, args ...any) error {
	return nonRetryable(ErrTypeInvalidInput, format, args...)
}

// timedOut is a retryable error of errType saying what was awaited.
func timedOut(errType, progress string) error {
	return temporal.NewApplicationError("timed out "+progress, errType)
}

// classify turns an error of an activity into a Temporal application error
// typed by what no retry can fix; others stay retryable. It keeps errors
// already classified and cancellation as they are.
func classify(err error) error {
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr), errors.Is(err, context.Canceled):
		return err
	case untrusted(err):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUntrustedServer, nil)
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeForbidden, nil)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRejected, nil)
	}
	return err
}

// untrusted reports whether err is a TLS verification failure.
func untrusted(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify)
}

// sensitiveError describes a failed write or read of an object holding a
// credential (a token Secret, a Cluster with its kubeconfig) by the API
// server's reason only: its message may quote the data.
func sensitiveError(what, object string, err error) error {
	reason := apierrors.ReasonForError(err)
	msg := fmt.Sprintf("%s %s: %s", what, object, reason)
	if reason == "" {
		msg = fmt.Sprintf("%s %s failed", what, object)
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", msg, err)
	case apierrors.IsUnauthorized(err), apierrors.IsForbidden(err):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeForbidden, nil)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeRejected, nil)
	case untrusted(err):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeUntrustedServer, nil)
	}
	return errors.New(msg)
}
