package vsphere

import (
	"context"

	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/domain"
)

// CheckCredentials logs in to the vCenter named by creds and logs out again.
// The error, if any, wraps ErrBadCredentials, ErrUnreachable, ErrCertificate
// or ErrInvalidServer when the cause is one of those, and never contains the
// password. Without a deadline on ctx, the check gives up after 15 seconds.
func CheckCredentials(ctx context.Context, creds domain.VCenterCredentials) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	return redact(withLogin(ctx, creds, func(*vim25.Client) error { return nil }), creds.Password)
}
