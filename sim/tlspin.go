package sim

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/vmware/govmomi/vim25/soap"
)

// pinnedTLSConfig returns the TLS configuration of a client that trusts exactly the
// certificate with this SHA-256 thumbprint, checked in the first handshake.
//
// soap.Client.SetThumbprint is not used: it makes every new connection try a verifying
// handshake first, which fails on the simulator's self-signed certificate with a
// "bad certificate" alert that the server logs as "http: TLS handshake error", and only
// then a second handshake that compares the thumbprint.
func pinnedTLSConfig(thumbprint string) *tls.Config {
	return &tls.Config{
		// Verification is done by VerifyConnection, which Go calls even so.
		InsecureSkipVerify: true, //nolint:gosec // see VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("sim: the vCenter sent no certificate")
			}
			if got := soap.ThumbprintSHA256(cs.PeerCertificates[0]); got != thumbprint {
				return fmt.Errorf("sim: the vCenter's certificate has thumbprint %s, want %s", got, thumbprint)
			}
			return nil
		},
	}
}
