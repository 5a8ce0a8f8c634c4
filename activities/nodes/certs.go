package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// checkExpirationCommand lists the certificates kubeadm manages on a node.
const checkExpirationCommand = "sudo kubeadm certs check-expiration -o json"

// CertificateInfo is one certificate kubeadm manages on a node, or one of
// the cluster's CAs.
type CertificateInfo struct {
	// Name is kubeadm's name: "apiserver", "admin.conf", ..., or "ca",
	// "etcd-ca", "front-proxy-ca" for the CAs.
	Name string `json:"name"`
	// Authority is set for the cluster's CAs.
	Authority bool `json:"authority,omitempty"`
	// CAName is the CA that signed the certificate (empty for CAs).
	CAName string `json:"ca_name,omitempty"`
	// NotAfter is when the certificate expires.
	NotAfter time.Time `json:"not_after"`
	// Residual is how long the certificate was still valid when it was
	// checked (negative once expired); DaysLeft is that in whole days.
	Residual time.Duration `json:"residual"`
	DaysLeft int           `json:"days_left"`
	// ExternallyManaged is set when the signing CA's key is not on the
	// node: kubeadm cannot renew the certificate.
	ExternallyManaged bool `json:"externally_managed,omitempty"`
	// Missing is set when the node has no such certificate (a worker has
	// none of the control plane's).
	Missing bool `json:"missing,omitempty"`
}

// CertificateExpiration lists the certificates kubeadm manages on node,
// with their expiry (`kubeadm certs check-expiration -o json`), the
// node's certificates first, then the CAs.
func (a *Activities) CertificateExpiration(ctx context.Context, node NodeRef) ([]CertificateInfo, error) {
	var certs []CertificateInfo
	err := a.withSession(ctx, node, func(s *Session) error {
		out, err := s.Run(ctx, Command{Line: checkExpirationCommand})
		if err != nil {
			return err
		}
		certs, err = parseCertificateExpiration(out.Stdout, time.Now())
		if err != nil {
			return nonRetryable(ErrTypeBadOutput, "%q on node %s: %v", checkExpirationCommand, node.Node, err)
		}
		return nil
	})
	return certs, err
}

// expirationInfo is kubeadm's CertificateExpirationInfo
// (output.kubeadm.k8s.io/v1alpha3).
type expirationInfo struct {
	Kind                   string           `json:"kind"`
	Certificates           []certExpiration `json:"certificates"`
	CertificateAuthorities []certExpiration `json:"certificateAuthorities"`
}

// certExpiration is one certificate of expirationInfo. Its residualTime
// is left out: the expiration date says it all, whatever unit a kubeadm
// version prints the residual time in.
type certExpiration struct {
	Name              string    `json:"name"`
	ExpirationDate    time.Time `json:"expirationDate"`
	ExternallyManaged bool      `json:"externallyManaged"`
	CAName            string    `json:"caName"`
	Missing           bool      `json:"missing"`
}

// parseCertificateExpiration parses kubeadm's JSON output, computing
// residual times at now.
func parseCertificateExpiration(stdout []byte, now time.Time) ([]CertificateInfo, error) {
	var info expirationInfo
	if err := json.Unmarshal(stdout, &info); err != nil {
		return nil, fmt.Errorf("output is not kubeadm's CertificateExpirationInfo JSON: %v; output: %q", err, Redact(head(stdout, 512)))
	}
	if info.Kind != "CertificateExpirationInfo" {
		return nil, fmt.Errorf("output is a %q, want a CertificateExpirationInfo", info.Kind)
	}
	convert := func(c certExpiration, authority bool) CertificateInfo {
		ci := CertificateInfo{Name: c.Name, Authority: authority, CAName: c.CAName,
			ExternallyManaged: c.ExternallyManaged, Missing: c.Missing}
		if !c.Missing {
			ci.NotAfter = c.ExpirationDate.UTC()
			ci.Residual = c.ExpirationDate.Sub(now).Truncate(time.Second)
			ci.DaysLeft = int(ci.Residual / (24 * time.Hour))
		}
		return ci
	}
	certs := make([]CertificateInfo, 0, len(info.Certificates)+len(info.CertificateAuthorities))
	for _, c := range info.Certificates {
		certs = append(certs, convert(c, false))
	}
	for _, c := range info.CertificateAuthorities {
		certs = append(certs, convert(c, true))
	}
	return certs, nil
}

// head is the start of b, at most n bytes, for error messages.
func head(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
