package node

import (
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/pki"
)

func TestCheckCAPins(t *testing.T) {
	ca, err := pki.NewCA("kubernetes", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewCA("other", 0)
	if err != nil {
		t.Fatal(err)
	}
	hash := pki.CACertHash(ca.Cert)
	if err := checkCAPins(ca.CertPEM, []string{pki.CACertHash(other.Cert), strings.ToUpper(hash)}); err != nil {
		t.Errorf("pinned CA refused: %v", err)
	}
	bundle := append(append([]byte{}, other.CertPEM...), ca.CertPEM...)
	if err := checkCAPins(bundle, []string{hash}); err != nil {
		t.Errorf("pinned CA in a bundle refused: %v", err)
	}
	if err := checkCAPins(ca.CertPEM, []string{pki.CACertHash(other.Cert)}); err == nil || !strings.Contains(err.Error(), hash) {
		t.Errorf("unpinned CA: %v, want an error naming its hash", err)
	}
	if err := checkCAPins([]byte("junk"), []string{hash}); err == nil {
		t.Error("no CA accepted")
	}
}
