package pki

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestNewSSHKeyPair(t *testing.T) {
	privPEM, authorized, err := NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(privPEM, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		t.Errorf("private key is not OpenSSH PEM: %.40q", privPEM)
	}
	signer, err := ssh.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	if signer.PublicKey().Type() != ssh.KeyAlgoED25519 {
		t.Errorf("key type %s, want ed25519", signer.PublicKey().Type())
	}
	if strings.HasSuffix(authorized, "\n") || !strings.HasPrefix(authorized, "ssh-ed25519 ") {
		t.Errorf("authorized key line %q", authorized)
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(authorized))
	if err != nil {
		t.Fatalf("ParseAuthorizedKey: %v", err)
	}
	if len(rest) != 0 {
		t.Errorf("trailing data after authorized key: %q", rest)
	}
	if !bytes.Equal(pub.Marshal(), signer.PublicKey().Marshal()) {
		t.Error("authorized key does not belong to the private key")
	}

	// The signer works end to end: a signature verifies with the
	// authorized key.
	sig, err := signer.Sign(nil, []byte("challenge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify([]byte("challenge"), sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}
