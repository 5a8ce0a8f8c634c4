package pki

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
)

// CACertHash returns the public key pin of cert as kubeadm's
// --discovery-token-ca-cert-hash expects it: "sha256:" followed by the
// lowercase hex SHA-256 of the DER-encoded SubjectPublicKeyInfo.
func CACertHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}
