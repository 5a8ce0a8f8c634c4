package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/session"

	"github.com/clusterwright/clusterwright/domain"
)

// CheckCredentials logs in to the vCenter named by creds and logs out again.
// The error, if any, wraps ErrBadCredentials, ErrUnreachable, ErrCertificate
// or ErrInvalidServer when the cause is one of those, and never contains the
// password. Without a deadline on ctx, the check gives up after 15 seconds.
func CheckCredentials(ctx context.Context, creds domain.VCenterCredentials) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	return redact(checkCredentials(ctx, creds), creds.Password)
}

func checkCredentials(ctx context.Context, creds domain.VCenterCredentials) error {
	c, err := dial(ctx, creds)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()

	sm := session.NewManager(c)
	if err := sm.Login(ctx, userinfo(creds)); err != nil {
		return fmt.Errorf("log in to %s as %q: %w", c.URL().Host, creds.Username, classify(err))
	}
	if err := sm.Logout(ctx); err != nil {
		return fmt.Errorf("log out of %s: %w", c.URL().Host, classify(err))
	}
	return nil
}
