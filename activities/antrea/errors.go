package antrea

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
	// label, a missing cluster). Not retryable.
	ErrTypeInvalidInput = "ClusterSetInvalidInput"
	// ErrTypeBadKubeconfig: the cluster's admin kubeconfig does not load.
	// Not retryable.
	ErrTypeBadKubeconfig = "BadKubeconfig"
	// ErrTypeUntrustedServer: the API server's certificate is not signed by
	// the cluster CA. Not retryable.
	ErrTypeUntrustedServer = "APIServerNotTrusted"
	// ErrTypeForbidden: the API server rejects the admin credentials. Not
	// retryable.
	ErrTypeForbidden = "APIServerForbidden"
	// ErrTypeRejected: the API server finds an object invalid. Not retryable.
	ErrTypeRejected = "ObjectRejected"
	// ErrTypeNoMulticlusterCRDs: the cluster lacks the multicluster.crd.antrea.io
	// kinds (Antrea without Multi-cluster). Not retryable.
	ErrTypeNoMulticlusterCRDs = "AntreaMulticlusterCRDsMissing"
	// ErrTypeNoEndpoint: the leader has no control-plane endpoint in the
	// inventory. Not retryable.
	ErrTypeNoEndpoint = "ClusterNoEndpoint"
	// ErrTypeUnknownNode: a gateway node named in the request is not a node
	// of the cluster. Not retryable.
	ErrTypeUnknownNode = "GatewayNodeNotFound"
	// ErrTypeTokenNotIssued: the leader's token controller did not fill the
	// member's token Secret in time. Retryable.
	ErrTypeTokenNotIssued = "MemberTokenNotIssued"
	// ErrTypeNotReady: the ClusterSet did not become ready in time; the
	// message says which member and why. Retryable.
	ErrTypeNotReady = "ClusterSetNotReady"
	// ErrTypeControllerNotReady: the multi-cluster controller did not roll
	// out in time. Retryable.
	ErrTypeControllerNotReady = "AntreaMCControllerNotReady"
	// ErrTypeCleanupIncomplete: objects did not go away in time. Retryable.
	ErrTypeCleanupIncomplete = "ClusterSetCleanupIncomplete"
)

// invalidInput is a non-retryable ErrTypeInvalidInput error.
func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalidInput, nil)
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

// secretError describes a failed write or read of a Secret by the API
// server's reason only: its message may quote the data.
func secretError(what, namespace, name string, err error) error {
	reason := apierrors.ReasonForError(err)
	msg := fmt.Sprintf("%s Secret %s/%s: %s", what, namespace, name, reason)
	if reason == "" {
		msg = fmt.Sprintf("%s Secret %s/%s failed", what, namespace, name)
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

// timedOut is a retryable error of errType saying what was awaited, with
// details (a Status) when given.
func timedOut(errType, progress string, details ...any) error {
	return temporal.NewApplicationError("timed out "+progress, errType, details...)
}

// noEndpoint is the non-retryable ErrTypeNoEndpoint error of a leader.
func noEndpoint(leader string) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("leader %s has no control-plane endpoint in the inventory", leader), ErrTypeNoEndpoint, nil)
}

// nonRetryable is a non-retryable application error of errType.
func nonRetryable(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, nil)
}
