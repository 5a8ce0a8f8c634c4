package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Classes of failure to connect to or log in to a vCenter. Errors returned by
// this package wrap one of them when the cause is known; test with errors.Is.
var (
	// ErrBadCredentials: vCenter rejected the user name or password (InvalidLogin).
	ErrBadCredentials = errors.New("vCenter rejected the user name or password")
	// ErrUnreachable: no answer from the server (refused, DNS, timeout, reset).
	ErrUnreachable = errors.New("vCenter unreachable")
	// ErrCertificate: the server's TLS certificate is neither trusted nor
	// matches the pinned thumbprint.
	ErrCertificate = errors.New("vCenter certificate not trusted")
	// ErrInvalidServer: the server address is not a usable vSphere SDK URL.
	ErrInvalidServer = errors.New("invalid vCenter server address")
	// ErrClosed: the session pool was closed.
	ErrClosed = errors.New("vCenter session pool closed")
)

// classify wraps err with the class of failure it shows, if any.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrBadCredentials), errors.Is(err, ErrCertificate),
		errors.Is(err, ErrUnreachable), errors.Is(err, ErrInvalidServer):
		return err // classified already
	case fault.Is(err, &types.InvalidLogin{}):
		return fmt.Errorf("%w: %w", ErrBadCredentials, err)
	case isCertificateError(err):
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	case isUnreachable(err):
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

func isCertificateError(err error) bool {
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return soap.IsCertificateUntrusted(err) ||
		errors.As(err, &invalid) ||
		errors.As(err, &verify) ||
		// soap.Client's thumbprint check returns an unexported, unwrapped error.
		strings.Contains(err.Error(), "thumbprint does not match")
}

func isUnreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var urlErr *url.Error
	switch {
	case errors.As(err, &opErr), errors.As(err, &dnsErr):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	case errors.As(err, &urlErr) && !errors.Is(err, context.Canceled):
		// Transport failures (EOF, reset, TLS record errors) that are not a
		// certificate problem (checked before) nor the caller giving up.
		return true
	}
	return false
}

// redact returns err unchanged unless its message contains secret, in which
// case it returns an error with the secret masked that no longer leads back to
// the original: errors.Is still finds the class (ErrBadCredentials, ...), but
// nothing that records an error's whole chain (Temporal's failure converter,
// a log handler) can reach the unmasked text.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	var class error
	for _, c := range []error{ErrBadCredentials, ErrCertificate, ErrUnreachable, ErrInvalidServer, ErrClosed} {
		if errors.Is(err, c) {
			class = c
			break
		}
	}
	return &redactedError{class: class, msg: strings.ReplaceAll(err.Error(), secret, "<redacted>")}
}

type redactedError struct {
	class error // the classification sentinel, if any
	msg   string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.class }
