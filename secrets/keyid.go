package secrets

import "encoding/hex"

// SealedKeyID returns the id (as KeyID computes it) of the master key a sealed
// value is under, read from its header without opening it. It fails with
// ErrMalformed or ErrUnsupportedVersion for a value Seal did not make.
func SealedKeyID(sealed []byte) (string, error) {
	e, err := parseEnvelope(sealed)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(e.keyID[:]), nil
}

// Holds reports whether the keyring holds the master key with id (as KeyID
// computes it), the primary or an older one.
func (k *Keyring) Holds(id string) bool {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != keyIDSize {
		return false
	}
	var kid [keyIDSize]byte
	copy(kid[:], raw)
	_, ok := k.keys[kid]
	return ok
}
