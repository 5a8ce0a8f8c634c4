package domain

import (
	"math"
	"time"
)

// Sources of a cluster's certificates, as the certificate check reads them.
const (
	// CertSourceKubeadm: `kubeadm certs check-expiration` on a control-plane node
	// (its certificates and the cluster's CAs).
	CertSourceKubeadm = "kubeadm"
	// CertSourceAPIServerTLS: the API server's serving certificate, as presented over
	// TLS at the control-plane endpoint.
	CertSourceAPIServerTLS = "apiserver-tls"
	// CertSourceServiceKubeconfig: the client certificate of the service's own admin
	// kubeconfig.
	CertSourceServiceKubeconfig = "service-kubeconfig"
)

// Certificate is one certificate of a cluster as the last check found it. No key, no
// certificate body: only what tells when it expires and who signed it.
type Certificate struct {
	// Node is the control-plane node the certificate lives on; "" for the cluster-wide
	// ones (the serving certificate at the endpoint, the service's kubeconfig).
	Node string `json:"node,omitempty"`
	// Name is kubeadm's name ("apiserver", "admin.conf", "ca", ...), or "apiserver" /
	// "admin-kubeconfig" for the cluster-wide ones.
	Name string `json:"name"`
	// Subject is the certificate's common name, when the source tells it.
	Subject string `json:"subject,omitempty"`
	// CAName is the CA that signed it ("ca", "etcd-ca", "front-proxy-ca"); for a CA
	// itself, its own name.
	CAName string `json:"ca_name,omitempty"`
	// Authority is set for the cluster's CAs.
	Authority bool      `json:"authority,omitempty"`
	NotAfter  time.Time `json:"not_after"`
	// DaysLeft is the whole days from the read until NotAfter (negative once expired).
	DaysLeft  int       `json:"days_left"`
	Source    string    `json:"source"`
	CheckedAt time.Time `json:"checked_at"`
}

// DaysUntil is the whole days from now until t, rounded down (negative once past).
func DaysUntil(t, now time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

// EarliestExpiry returns the earliest NotAfter of certs, and false when there are none.
func EarliestExpiry(certs []Certificate) (time.Time, bool) {
	var first time.Time
	for _, c := range certs {
		if first.IsZero() || c.NotAfter.Before(first) {
			first = c.NotAfter
		}
	}
	return first, !first.IsZero()
}
