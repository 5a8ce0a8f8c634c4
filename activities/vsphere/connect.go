package vsphere

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/clusterwright/clusterwright/domain"
)

// loginTimeout bounds connecting and logging in when the caller's context has
// no deadline of its own.
const loginTimeout = 15 * time.Second

const userAgent = "clusterwright"

// maxIdleConnsPerVCenter is how many idle keep-alive connections a pooled
// client keeps to its vCenter. The worker's activities share one session and
// make many calls at once; with net/http's default of 2, every call beyond
// the second opened a new TLS connection (two handshakes when the
// certificate is pinned by thumbprint), which cost more than the calls.
const maxIdleConnsPerVCenter = 64

// withDefaultTimeout returns ctx bounded by loginTimeout unless it already
// has a deadline.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, loginTimeout)
}

// sdkURL returns the SDK URL of creds.Server, without user information.
func sdkURL(creds domain.VCenterCredentials) (*url.URL, error) {
	s, err := domain.NormalizeServer(creds.Server)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidServer, err)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidServer, err)
	}
	u.User = nil
	return u, nil
}

// dial connects to the vCenter named by creds and fetches its service content
// (one round trip). It does not log in.
//
// TLS: with a Thumbprint, the certificate must either verify against the system
// roots or match the thumbprint, and Insecure is ignored; without one, Insecure
// skips verification.
func dial(ctx context.Context, creds domain.VCenterCredentials) (*vim25.Client, error) {
	u, err := sdkURL(creds)
	if err != nil {
		return nil, err
	}
	insecure := creds.Insecure && creds.Thumbprint == ""
	sc := soap.NewClient(u, insecure)
	if creds.Thumbprint != "" {
		// soap.Client compares upper-case hex pairs.
		sc.SetThumbprint(u.Host, strings.ToUpper(creds.Thumbprint))
	}
	sc.UserAgent = userAgent
	t := sc.DefaultTransport()
	t.MaxIdleConnsPerHost = maxIdleConnsPerVCenter
	if creds.Thumbprint != "" {
		t.TLSClientConfig = pinnedTLSConfig(creds.Thumbprint)
	}

	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		sc.CloseIdleConnections()
		return nil, fmt.Errorf("connect to %s: %w", u.Host, classify(err))
	}
	return c, nil
}

// userinfo holds the login credentials in the form govmomi's session manager takes.
func userinfo(creds domain.VCenterCredentials) *url.Userinfo {
	return url.UserPassword(creds.Username, creds.Password)
}
