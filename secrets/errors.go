package secrets

import "errors"

// Errors returned by Open and the key helpers. They never carry plaintext or key
// material; match them with errors.Is.
var (
	// ErrMalformed means the sealed value is too short or otherwise not a sealed value.
	ErrMalformed = errors.New("secrets: sealed value is malformed")
	// ErrUnsupportedVersion means the sealed value uses a format version this build cannot read.
	ErrUnsupportedVersion = errors.New("secrets: unsupported sealed format version")
	// ErrUnknownKey means the sealed value names a master key the keyring does not hold.
	ErrUnknownKey = errors.New("secrets: sealed with a key not in the keyring")
	// ErrAuthentication means decryption failed: the value was tampered with, the
	// associated data differs from the one used to seal, or the key is wrong.
	ErrAuthentication = errors.New("secrets: authentication failed (tampered value or wrong associated data)")
	// ErrKeySize means a key is not 32 bytes long.
	ErrKeySize = errors.New("key must be 32 bytes")
)
