package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// KeySize is the length in bytes of a master key and of a data key.
const KeySize = 32

// Keyring seals with one primary master key and opens values sealed with the
// primary or any of the older keys it was given. It is safe for concurrent use.
type Keyring struct {
	primaryID [keyIDSize]byte
	keys      map[[keyIDSize]byte]cipher.AEAD
}

// NewKeyring returns a keyring that seals with primary and opens with primary or
// any of old. Every key must be KeySize bytes. The keyring keeps no reference to
// the slices passed in.
func NewKeyring(primary []byte, old ...[]byte) (*Keyring, error) {
	k := &Keyring{keys: make(map[[keyIDSize]byte]cipher.AEAD, 1+len(old))}
	id, err := k.add(primary)
	if err != nil {
		return nil, fmt.Errorf("secrets: primary key: %w", err)
	}
	k.primaryID = id
	for i, key := range old {
		if _, err := k.add(key); err != nil {
			return nil, fmt.Errorf("secrets: old key %d: %w", i+1, err)
		}
	}
	return k, nil
}

func (k *Keyring) add(key []byte) ([keyIDSize]byte, error) {
	if len(key) != KeySize {
		return [keyIDSize]byte{}, fmt.Errorf("%w, got %d", ErrKeySize, len(key))
	}
	aead, err := newGCM(key)
	if err != nil {
		return [keyIDSize]byte{}, err
	}
	id := keyID(key)
	k.keys[id] = aead
	return id, nil
}

// PrimaryKeyID returns the id of the primary key in hex, as KeyID computes it.
func (k *Keyring) PrimaryKeyID() string {
	return hex.EncodeToString(k.primaryID[:])
}

// Seal encrypts plaintext under a fresh data key wrapped with the primary key,
// binding aad into both layers. The same aad must be passed to Open.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	dataKey := make([]byte, dataKeySize)
	defer clear(dataKey)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("secrets: generate data key: %w", err)
	}
	dataAEAD, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}

	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0] = formatV1
	copy(out[offKeyID:], k.primaryID[:])
	if _, err := rand.Read(out[offWrapNonce:offWrappedKey]); err != nil {
		return nil, fmt.Errorf("secrets: generate nonce: %w", err)
	}
	if _, err := rand.Read(out[offDataNonce:headerSize]); err != nil {
		return nil, fmt.Errorf("secrets: generate nonce: %w", err)
	}

	master := k.keys[k.primaryID]
	wrapped := master.Seal(nil, out[offWrapNonce:offWrappedKey], dataKey, wrapAAD(out, aad))
	copy(out[offWrappedKey:offDataNonce], wrapped)

	return dataAEAD.Seal(out, out[offDataNonce:headerSize], plaintext, dataAAD(out, aad)), nil
}

// Open authenticates and decrypts a value made by Seal with the same aad. It
// fails with ErrMalformed, ErrUnsupportedVersion, ErrUnknownKey or
// ErrAuthentication (tampering or a different aad); errors never contain the
// plaintext.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	e, err := parseEnvelope(sealed)
	if err != nil {
		return nil, err
	}
	master, ok := k.keys[e.keyID]
	if !ok {
		return nil, fmt.Errorf("%w: key id %x", ErrUnknownKey, e.keyID)
	}
	dataKey, err := master.Open(nil, e.wrapNonce, e.wrappedKey, wrapAAD(e.raw, aad))
	if err != nil {
		return nil, fmt.Errorf("%w: data key did not unwrap", ErrAuthentication)
	}
	defer clear(dataKey)
	dataAEAD, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	plaintext, err := dataAEAD.Open(nil, e.dataNonce, e.ciphertext, dataAAD(e.raw, aad))
	if err != nil {
		return nil, fmt.Errorf("%w: ciphertext did not decrypt", ErrAuthentication)
	}
	return plaintext, nil
}

// KeyID returns the public identifier of a master key: the first 8 bytes of its
// SHA-256 digest, in hex. It identifies the key without revealing it.
func KeyID(key []byte) string {
	id := keyID(key)
	return hex.EncodeToString(id[:])
}

func keyID(key []byte) [keyIDSize]byte {
	sum := sha256.Sum256(key)
	var id [keyIDSize]byte
	copy(id[:], sum[:keyIDSize])
	return id
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: gcm: %w", err)
	}
	return aead, nil
}
