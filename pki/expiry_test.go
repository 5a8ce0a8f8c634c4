package pki

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestDaysLeft(t *testing.T) {
	notAfter := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{NotAfter: notAfter}
	day := 24 * time.Hour
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{"a year ahead", notAfter.Add(-365 * day), 365},
		{"30 days and a bit", notAfter.Add(-30*day - time.Hour), 30},
		{"just under 30 days", notAfter.Add(-30*day + time.Second), 29},
		{"hours left", notAfter.Add(-5 * time.Hour), 0},
		{"at expiry", notAfter, 0},
		{"expired an hour ago", notAfter.Add(time.Hour), -1},
		{"expired ten days ago", notAfter.Add(10 * day), -10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysLeft(cert, tt.now); got != tt.want {
				t.Errorf("DaysLeft = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestDaysLeftIssued(t *testing.T) {
	ca := mustCA(t, "kubernetes")
	now := time.Now()
	// Issued 340 days ago with kubeadm's one-year validity: 25 days left,
	// inside a 30-day renewal window.
	certPEM, _, err := ca.Issue(LeafRequest{CommonName: "apiserver", Server: true, NotBefore: now.Add(-340 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ParseCertificate(certPEM)
	if got := DaysLeft(cert, now); got != 24 && got != 25 {
		t.Errorf("DaysLeft = %d, want 25 (or 24 across a boundary)", got)
	}

	// Already expired: chain verification must fail at now.
	certPEM, _, err = ca.Issue(LeafRequest{CommonName: "old", Client: true, NotBefore: now.Add(-400 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = ParseCertificate(certPEM)
	if got := DaysLeft(cert, now); got >= 0 {
		t.Errorf("DaysLeft = %d, want negative", got)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("expired certificate verified")
	}
}
