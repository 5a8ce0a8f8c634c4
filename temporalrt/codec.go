package temporalrt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/clusterwright/clusterwright/secrets"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Payload metadata written by the codec.
const (
	// MetadataEncoding is the standard Temporal metadata key naming a payload's encoding.
	MetadataEncoding = converter.MetadataEncoding
	// EncodingEncrypted is the encoding of a payload sealed by the codec.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that sealed a payload, as secrets.KeyID computes it.
	MetadataKeyID = "encryption-key-id"
)

// payloadAAD binds every sealed payload to this use of the key, so that a blob
// sealed elsewhere with the same key is never accepted as a payload.
var payloadAAD = []byte("clusterwright/temporal-payload/v1")

// ErrUnknownPayloadKey is returned by Decode for a payload sealed with a key the codec does not hold.
var ErrUnknownPayloadKey = errors.New("temporalrt: payload encrypted with an unknown key")

// Codec is a converter.PayloadCodec that seals every payload, metadata
// included, with AES-256-GCM. It encrypts with its primary key and decrypts
// with any key it holds. It is safe for concurrent use.
type Codec struct {
	primaryID string
	keys      map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// NewCodec returns a codec that encrypts with key and decrypts with key or any
// of old. Keys are 32 bytes, as secrets.ParseKey returns them.
func NewCodec(key []byte, old ...[]byte) (*Codec, error) {
	c := &Codec{primaryID: secrets.KeyID(key), keys: make(map[string]cipher.AEAD, 1+len(old))}
	if err := c.add(key); err != nil {
		return nil, fmt.Errorf("temporalrt: codec primary key: %w", err)
	}
	for i, k := range old {
		if err := c.add(k); err != nil {
			return nil, fmt.Errorf("temporalrt: codec old key %d: %w", i+1, err)
		}
	}
	return c, nil
}

func (c *Codec) add(key []byte) error {
	if len(key) != secrets.KeySize {
		return fmt.Errorf("%w, got %d", secrets.ErrKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	c.keys[secrets.KeyID(key)] = aead
	return nil
}

// Encode seals each payload into a new payload whose data is the nonce followed
// by the encrypted, serialized original payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys[c.primaryID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("temporalrt: encode payload %d: %w", i, err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("temporalrt: encode payload %d: nonce: %w", i, err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(c.primaryID),
			},
			Data: aead.Seal(nonce, nonce, plain, payloadAAD),
		}
	}
	return out, nil
}

// Decode opens payloads sealed by Encode and passes any other payload through
// unchanged. It fails on an unknown key id or a payload that does not
// authenticate.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		keyID := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys[keyID]
		if !ok {
			return nil, fmt.Errorf("%w: payload %d names key id %q", ErrUnknownPayloadKey, i, keyID)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("temporalrt: decode payload %d: encrypted data too short", i)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], payloadAAD)
		if err != nil {
			return nil, fmt.Errorf("temporalrt: decode payload %d: authentication failed", i)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, decoded); err != nil {
			return nil, fmt.Errorf("temporalrt: decode payload %d: %w", i, err)
		}
		out[i] = decoded
	}
	return out, nil
}

// NewDataConverter returns Temporal's default data converter with every payload
// sealed by a Codec built from key and the older keys old.
func NewDataConverter(key []byte, old ...[]byte) (converter.DataConverter, error) {
	codec, err := NewCodec(key, old...)
	if err != nil {
		return nil, err
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec), nil
}
