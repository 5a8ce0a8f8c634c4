package temporalrt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

func testCodec(t *testing.T, key []byte, old ...[]byte) *Codec {
	t.Helper()
	c, err := NewCodec(key, old...)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

type codecInput struct {
	Name   string
	Secret string
}

func TestCodecRoundTrip(t *testing.T) {
	c := testCodec(t, testKey(t))
	in := codecInput{Name: "dev-east", Secret: "s3cr3t-CANARY-codec"}
	plain, err := converter.GetDefaultDataConverter().ToPayloads(in, "second arg", nil)
	if err != nil {
		t.Fatal(err)
	}

	encoded, err := c.Encode(plain.Payloads)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if len(encoded) != len(plain.Payloads) {
		t.Fatalf("Encode returned %d payloads, want %d", len(encoded), len(plain.Payloads))
	}
	for i, p := range encoded {
		if got := string(p.Metadata[MetadataEncoding]); got != EncodingEncrypted {
			t.Errorf("payload %d encoding = %q, want %q", i, got, EncodingEncrypted)
		}
		if got := string(p.Metadata[MetadataKeyID]); got != c.primaryID {
			t.Errorf("payload %d key id = %q, want %q", i, got, c.primaryID)
		}
		raw, _ := proto.Marshal(p)
		if bytes.Contains(raw, []byte("CANARY")) || bytes.Contains(raw, []byte("json/plain")) {
			t.Errorf("payload %d leaks its content or encoding: %q", i, raw)
		}
	}

	decoded, err := c.Decode(encoded)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	for i := range decoded {
		if !proto.Equal(decoded[i], plain.Payloads[i]) {
			t.Errorf("payload %d: decoded %v, want %v", i, decoded[i], plain.Payloads[i])
		}
	}

	dc, err := NewDataConverter(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	payloads, err := dc.ToPayloads(in)
	if err != nil {
		t.Fatal(err)
	}
	var out codecInput
	if err := dc.FromPayloads(payloads, &out); err != nil || out != in {
		t.Fatalf("data converter round trip = %+v, %v", out, err)
	}
}

func TestCodecDecodePassesPlainPayloadsThrough(t *testing.T) {
	c := testCodec(t, testKey(t))
	plain, _ := converter.GetDefaultDataConverter().ToPayload("hello")
	got, err := c.Decode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got[0] != plain {
		t.Fatal("plain payload was not passed through unchanged")
	}
}

func TestCodecUnknownKey(t *testing.T) {
	encoded, err := testCodec(t, testKey(t)).Encode([]*commonpb.Payload{{Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = testCodec(t, testKey(t)).Decode(encoded)
	if !errors.Is(err, ErrUnknownPayloadKey) {
		t.Fatalf("Decode with another key: error = %v, want ErrUnknownPayloadKey", err)
	}
}

func TestCodecRotation(t *testing.T) {
	oldKey := testKey(t)
	encoded, err := testCodec(t, oldKey).Encode([]*commonpb.Payload{{Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := testCodec(t, testKey(t), oldKey).Decode(encoded)
	if err != nil || string(got[0].Data) != "x" {
		t.Fatalf("Decode with the old key kept: %v, %v", got, err)
	}
}

func TestCodecDetectsTampering(t *testing.T) {
	c := testCodec(t, testKey(t))
	encoded, err := c.Encode([]*commonpb.Payload{{Data: []byte("s3cr3t")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 12, len(encoded[0].Data) - 1} {
		tampered := proto.Clone(encoded[0]).(*commonpb.Payload)
		tampered.Data[n] ^= 1
		if _, err := c.Decode([]*commonpb.Payload{tampered}); err == nil {
			t.Errorf("tampered byte %d accepted", n)
		}
	}
	short := proto.Clone(encoded[0]).(*commonpb.Payload)
	short.Data = short.Data[:10]
	if _, err := c.Decode([]*commonpb.Payload{short}); err == nil {
		t.Error("truncated payload accepted")
	}
}

func TestNewCodecRejectsBadKey(t *testing.T) {
	if _, err := NewCodec(make([]byte, 16)); err == nil {
		t.Error("16-byte key accepted")
	}
	if _, err := NewCodec(testKey(t), []byte("short")); err == nil {
		t.Error("short old key accepted")
	}
	if _, err := ClientOptions("127.0.0.1:7233", "default", nil, nil); err == nil {
		t.Error("ClientOptions accepted a nil key")
	}
}
