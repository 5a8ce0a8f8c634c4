package pki

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// NewSSHKeyPair creates the ed25519 key with which Clusterwright reaches
// its nodes on Day 2. It returns the private key as an OpenSSH PEM block
// ("OPENSSH PRIVATE KEY") and the public key as an authorized_keys line
// without a trailing newline.
func NewSSHKeyPair() (privatePEM []byte, authorizedKey string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("pki: generate SSH key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, "", fmt.Errorf("pki: marshal SSH private key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, "", fmt.Errorf("pki: SSH public key: %w", err)
	}
	authorizedKey = strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(sshPub)), "\n")
	return pem.EncodeToMemory(block), authorizedKey, nil
}
