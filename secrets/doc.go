// Package secrets encrypts secrets at rest (vCenter passwords, private keys,
// kubeconfigs) with an AES-256-GCM envelope.
//
// Every Seal draws a fresh random 256-bit data key, encrypts the plaintext with
// it, and wraps the data key with the master key. The caller's associated data
// (for example "vcenter:<id>:password") is bound into both layers, so a sealed
// value copied to another row or column does not open.
//
// A sealed value is a self-describing binary blob:
//
//	offset  size  field
//	0       1     format version (1)
//	1       8     key id: first 8 bytes of SHA-256 of the master key
//	9       12    nonce of the key wrap
//	21      48    data key wrapped with the master key (32 bytes + 16 byte tag)
//	69      12    nonce of the data encryption
//	81      n+16  plaintext encrypted with the data key (n bytes + 16 byte tag)
//
// The wrap is authenticated over bytes 0-8 followed by the associated data; the
// data encryption over bytes 0-80 followed by the associated data. The key id
// lets a Keyring hold older master keys for Open, so the master key can be
// rotated without re-encrypting everything at once.
package secrets
