package addons

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Classes of failure. Errors returned by this package wrap one of them when
// the cause is known; test with errors.Is. ActivityError turns them into
// Temporal application errors whose type is the matching ErrType* constant.
var (
	// ErrChartNotFound: the chart (or the requested version) is not in its
	// source, or the source does not exist. Not retryable.
	ErrChartNotFound = errors.New("chart not found")
	// ErrInvalidChart: what the source delivered is not a usable chart (bad
	// archive, digest mismatch, another chart's name). Not retryable.
	ErrInvalidChart = errors.New("invalid chart")
	// ErrInvalidValues: the chart rejects the values (schema, template
	// failure, or objects the API server finds invalid). Not retryable.
	ErrInvalidValues = errors.New("invalid values")
	// ErrInvalidRelease: the release request itself is malformed (missing
	// name or namespace, bad timeout). Not retryable.
	ErrInvalidRelease = errors.New("invalid release")
	// ErrSourceNotConfigured: a chart source has no location (RepoURL, OCI or
	// Dir), e.g. KubeSphere, whose public downloads are suspended. Not retryable.
	ErrSourceNotConfigured = errors.New("chart source not configured")
	// ErrInvalidKubeconfig: the kubeconfig cannot be used, or the API server
	// rejects its credentials. Not retryable.
	ErrInvalidKubeconfig = errors.New("invalid kubeconfig")
	// ErrReleaseNotFound: no such release (Status).
	ErrReleaseNotFound = errors.New("release not found")
	// ErrUnreachable: the cluster's API server does not answer. Retryable.
	ErrUnreachable = errors.New("API server unreachable")
	// ErrSourceUnreachable: the chart repository or registry does not answer.
	// Retryable.
	ErrSourceUnreachable = errors.New("chart source unreachable")
	// ErrReleaseBusy: another operation on the release is in progress (a
	// pending release younger than its timeout). Retryable.
	ErrReleaseBusy = errors.New("release busy")
	// ErrNotReady: the release's objects were not ready within its timeout
	// (Release.Wait); the release is recorded as failed. Retryable.
	ErrNotReady = errors.New("release not ready in time")
	// ErrUnknownAddon: an add-on name this package does not know. Not retryable.
	ErrUnknownAddon = errors.New("unknown add-on")
	// ErrAddonDisabled: the cluster spec does not enable the add-on. Not retryable.
	ErrAddonDisabled = errors.New("add-on not enabled for the cluster")
)

// classes are every class, in the order in which classification checks them.
var classes = []error{
	ErrChartNotFound, ErrInvalidChart, ErrInvalidValues, ErrInvalidRelease,
	ErrSourceNotConfigured, ErrInvalidKubeconfig, ErrReleaseNotFound,
	ErrUnreachable, ErrSourceUnreachable, ErrReleaseBusy, ErrNotReady, ErrUnknownAddon, ErrAddonDisabled,
}

// classOf returns the class err wraps, or nil.
func classOf(err error) error {
	for _, c := range classes {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

// classified wraps err with class: errors.Is(result, class) holds and the
// message is err's.
type classified struct {
	class error
	err   error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.class, e.err} }

// withClass marks err as being of class, unless it is classified already.
func withClass(err error, class error) error {
	if err == nil || classOf(err) != nil {
		return err
	}
	return &classified{class: class, err: err}
}

// classifyKube classifies an error of a Helm action or Kubernetes call:
// Helm's timeout waiting for readiness, unreachable API servers and objects
// the API server rejects as invalid. Cancellation is left alone, so that
// Temporal sees it as such.
func classifyKube(err error) error {
	switch {
	case err == nil || classOf(err) != nil:
		return err
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "timed out waiting for the condition"):
		return withClass(err, ErrNotReady)
	case isUnreachable(err):
		return withClass(err, ErrUnreachable)
	case isInvalidObject(err):
		return withClass(err, ErrInvalidValues)
	}
	return err
}

// isUnreachable reports network failures: refused, reset, DNS, timeouts.
// Helm wraps with github.com/pkg/errors, which keeps the chain, but joins
// some errors as text only, hence the message checks.
func isUnreachable(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var urlErr *url.Error
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH):
		return true
	case errors.As(err, &opErr), errors.As(err, &dnsErr):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	case errors.As(err, &urlErr):
		return true
	case apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err):
		return true
	}
	msg := err.Error()
	for _, s := range []string{
		"Kubernetes cluster unreachable", "connection refused", "connection reset",
		"no route to host", "i/o timeout", "TLS handshake timeout",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isInvalidObject reports the API server (or Helm's validation against the
// cluster's schema) rejecting a rendered object.
func isInvalidObject(err error) bool {
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"is invalid:", "error validating data", "unknown field", "strict decoding error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
