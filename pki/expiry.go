package pki

import (
	"crypto/x509"
	"math"
	"time"
)

// DaysLeft returns the number of whole days from now until cert expires,
// rounded down: 0 means less than a day is left, and a negative number
// means the certificate has expired.
func DaysLeft(cert *x509.Certificate, now time.Time) int {
	return int(math.Floor(cert.NotAfter.Sub(now).Hours() / 24))
}
