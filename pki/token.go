package pki

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp"
)

const (
	bootstrapTokenIDLength     = 6
	bootstrapTokenSecretLength = 16
	bootstrapTokenChars        = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// bootstrapTokenPattern is kubeadm's bootstrap token format.
var bootstrapTokenPattern = regexp.MustCompile(`\A([a-z0-9]{6})\.([a-z0-9]{16})\z`)

// BootstrapToken is a kubeadm bootstrap token: a public ID and a secret.
// It marshals to and from text (and therefore JSON and YAML) as "id.secret".
type BootstrapToken struct {
	ID     string
	Secret string
}

// NewBootstrapToken returns a random token in kubeadm's format,
// [a-z0-9]{6}.[a-z0-9]{16}, drawn from crypto/rand.
func NewBootstrapToken() (BootstrapToken, error) {
	id, err := randomTokenString(bootstrapTokenIDLength)
	if err != nil {
		return BootstrapToken{}, err
	}
	secret, err := randomTokenString(bootstrapTokenSecretLength)
	if err != nil {
		return BootstrapToken{}, err
	}
	return BootstrapToken{ID: id, Secret: secret}, nil
}

// ParseBootstrapToken parses "id.secret" in kubeadm's format.
func ParseBootstrapToken(s string) (BootstrapToken, error) {
	m := bootstrapTokenPattern.FindStringSubmatch(s)
	if m == nil {
		// The token is a secret: never echo it in the error.
		return BootstrapToken{}, fmt.Errorf("pki: bootstrap token does not match %s", bootstrapTokenPattern)
	}
	return BootstrapToken{ID: m[1], Secret: m[2]}, nil
}

// String returns the token as "id.secret".
func (t BootstrapToken) String() string {
	return t.ID + "." + t.Secret
}

// MarshalText implements encoding.TextMarshaler; it fails for a token that
// is not in kubeadm's format.
func (t BootstrapToken) MarshalText() ([]byte, error) {
	s := t.String()
	if !bootstrapTokenPattern.MatchString(s) {
		return nil, fmt.Errorf("pki: bootstrap token does not match %s", bootstrapTokenPattern)
	}
	return []byte(s), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *BootstrapToken) UnmarshalText(text []byte) error {
	parsed, err := ParseBootstrapToken(string(text))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// randomTokenString returns n characters drawn uniformly from
// bootstrapTokenChars.
func randomTokenString(n int) (string, error) {
	limit := big.NewInt(int64(len(bootstrapTokenChars)))
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return "", fmt.Errorf("pki: generate bootstrap token: %w", err)
		}
		b[i] = bootstrapTokenChars[v.Int64()]
	}
	return string(b), nil
}
