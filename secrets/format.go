package secrets

import "fmt"

// Layout of a version 1 sealed value; see the package documentation.
const (
	formatV1 byte = 1

	keyIDSize      = 8
	nonceSize      = 12
	tagSize        = 16
	dataKeySize    = 32
	wrappedKeySize = dataKeySize + tagSize

	offKeyID      = 1
	offWrapNonce  = offKeyID + keyIDSize
	offWrappedKey = offWrapNonce + nonceSize
	offDataNonce  = offWrappedKey + wrappedKeySize
	headerSize    = offDataNonce + nonceSize // 81

	minSealedSize = headerSize + tagSize
)

// envelope is a parsed sealed value. Its slices alias the sealed bytes.
type envelope struct {
	raw        []byte
	keyID      [keyIDSize]byte
	wrapNonce  []byte
	wrappedKey []byte
	dataNonce  []byte
	ciphertext []byte
}

// parseEnvelope checks the framing of sealed and splits it into its parts.
func parseEnvelope(sealed []byte) (*envelope, error) {
	if len(sealed) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if sealed[0] != formatV1 {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedVersion, sealed[0])
	}
	if len(sealed) < minSealedSize {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrMalformed, len(sealed), minSealedSize)
	}
	e := &envelope{
		raw:        sealed,
		wrapNonce:  sealed[offWrapNonce:offWrappedKey],
		wrappedKey: sealed[offWrappedKey:offDataNonce],
		dataNonce:  sealed[offDataNonce:headerSize],
		ciphertext: sealed[headerSize:],
	}
	copy(e.keyID[:], sealed[offKeyID:offWrapNonce])
	return e, nil
}

// wrapAAD is the associated data of the key wrap: version and key id, then the caller's data.
func wrapAAD(header, aad []byte) []byte {
	return concat(header[:offWrapNonce], aad)
}

// dataAAD is the associated data of the data encryption: the whole header, then the caller's data.
func dataAAD(header, aad []byte) []byte {
	return concat(header[:headerSize], aad)
}

func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	out = append(out, a...)
	return append(out, b...)
}
