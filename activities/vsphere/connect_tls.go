package vsphere

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/vim25/soap"
)

// pinnedTLSConfig returns the TLS configuration of a client that accepts a
// server certificate that either verifies against the system roots or has
// the thumbprint (SHA-256 or SHA-1, colon-separated hex) — the rule of
// dial — in a single handshake. (soap.Client alone does a verifying
// handshake first and, when it fails, a second one to compare the
// thumbprint: two handshakes for every new connection to a vCenter with a
// self-signed certificate, and a "bad certificate" alert in its log.)
func pinnedTLSConfig(thumbprint string) *tls.Config {
	want := strings.ToUpper(thumbprint)
	return &tls.Config{
		// Verification is done by VerifyConnection, which Go calls even so.
		InsecureSkipVerify: true, //nolint:gosec // see VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: the server sent no certificate", ErrCertificate)
			}
			leaf := cs.PeerCertificates[0]
			if soap.ThumbprintSHA256(leaf) == want || soap.ThumbprintSHA1(leaf) == want {
				return nil
			}
			opts := x509.VerifyOptions{DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			if _, err := leaf.Verify(opts); err != nil {
				return fmt.Errorf("%w: host %q thumbprint does not match %q, and %w", ErrCertificate, cs.ServerName, thumbprint, err)
			}
			return nil
		},
	}
}
