package backupstore

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Scheme names how backups are encrypted: age (X25519 recipient) to an
// identity derived from the master key with HKDF-SHA256 and keyInfo.
const Scheme = "age-x25519-hkdf-v1"

// keyInfo separates the backup key from every other use of the master key.
const keyInfo = "clusterwright etcd backup key v1"

// ErrWrongKey is returned by Decrypt for an object not encrypted to the key.
var ErrWrongKey = errors.New("backup is not encrypted to this key")

// Key encrypts and decrypts backups. It is derived from the master key, so
// that backups can be read wherever the service's key is.
type Key struct {
	identity  *age.X25519Identity
	recipient *age.X25519Recipient
	id        string
}

// DeriveKey derives the backup key from the service's master key (as
// secrets.LoadKey returns it).
func DeriveKey(master []byte) (*Key, error) {
	if len(master) < 32 {
		return nil, fmt.Errorf("backup key: the master key has %d bytes, want at least 32", len(master))
	}
	scalar, err := hkdf.Key(sha256.New, master, nil, keyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("backup key: %w", err)
	}
	defer clear(scalar)
	encoded, err := bech32Encode("AGE-SECRET-KEY-", scalar)
	if err != nil {
		return nil, fmt.Errorf("backup key: %w", err)
	}
	identity, err := age.ParseX25519Identity(encoded)
	if err != nil {
		// The parse error is left out: it might quote the key.
		return nil, errors.New("backup key: the derived identity does not parse")
	}
	recipient := identity.Recipient()
	sum := sha256.Sum256([]byte(recipient.String()))
	return &Key{identity: identity, recipient: recipient, id: hex.EncodeToString(sum[:8])}, nil
}

// ID is the key's public id: the first 8 bytes (hex) of the SHA-256 of its
// age recipient. Backups record it, so that a rotated master key's backups
// can find their key.
func (k *Key) ID() string { return k.id }

// Recipient is the key's public age recipient ("age1..."), with which a
// backup can be decrypted by age given the identity.
func (k *Key) Recipient() string { return k.recipient.String() }

// Encrypt returns a writer that encrypts what is written to it into dst;
// Close writes the last chunk and must be called.
func (k *Key) Encrypt(dst io.Writer) (io.WriteCloser, error) {
	w, err := age.Encrypt(dst, k.recipient)
	if err != nil {
		return nil, fmt.Errorf("encrypt backup: %w", err)
	}
	return w, nil
}

// Decrypt returns a reader of the plaintext of src. Each chunk is
// authenticated before it is returned: a tampered object fails reading
// (with an error, never with altered data), one encrypted to another key
// fails here with ErrWrongKey.
func (k *Key) Decrypt(src io.Reader) (io.Reader, error) {
	r, err := age.Decrypt(src, k.identity)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrWrongKey
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt backup: %w", err)
	}
	return r, nil
}
