package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// signingKey is the provider's RSA key, generated at start and kept in memory.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

var (
	_ op.SigningKey = (*signingKey)(nil)
	_ op.Key        = (*publicKey)(nil)
)

// newSigningKey generates a 2048-bit RSA key for RS256.
func newSigningKey() (*signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return &signingKey{id: uuid.NewString(), key: key}, nil
}

// SignatureAlgorithm is RS256, which every relying party supports.
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }

// Key returns the private key.
func (k *signingKey) Key() any { return k.key }

// ID returns the key id (kid).
func (k *signingKey) ID() string { return k.id }

// public returns the key as published in the JWKS.
func (k *signingKey) public() *publicKey { return &publicKey{k} }

// publicKey is the public half of a signingKey.
type publicKey struct{ *signingKey }

// Algorithm is RS256.
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }

// Use is "sig".
func (k *publicKey) Use() string { return "sig" }

// Key returns the public key.
func (k *publicKey) Key() any { return &k.key.PublicKey }
