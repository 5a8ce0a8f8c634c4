package cloudinit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// VM extraConfig keys read by cloud-init's VMware datasource.
const (
	GuestInfoMetadata         = "guestinfo.metadata"
	GuestInfoMetadataEncoding = "guestinfo.metadata.encoding"
	GuestInfoUserdata         = "guestinfo.userdata"
	GuestInfoUserdataEncoding = "guestinfo.userdata.encoding"
)

// Encodings of guestinfo values understood by cloud-init. "gz+b64" and
// "b64" are cloud-init's aliases of the first two.
const (
	EncodingGzipBase64 = "gzip+base64"
	EncodingBase64     = "base64"
	EncodingPlain      = ""
)

// Encode compresses data with gzip and encodes it in standard base64, the
// most compact form guestinfo accepts. It returns the value and the
// encoding to store next to it.
func Encode(data []byte) (value, encoding string) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // valid level: never fails
	_, _ = zw.Write(data)                                    // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes()), EncodingGzipBase64
}

// Decode reverses Encode for every encoding cloud-init accepts:
// "gzip+base64" (or "gz+b64"), "base64" (or "b64") and "" (plain text).
// Unlike cloud-init, which treats an unknown encoding as plain text, it
// rejects unknown encodings.
func Decode(value, encoding string) ([]byte, error) {
	switch strings.TrimSpace(encoding) {
	case EncodingGzipBase64, "gz+b64":
		raw, err := decodeBase64(value)
		if err != nil {
			return nil, err
		}
		return gunzip(raw)
	case EncodingBase64, "b64":
		return decodeBase64(value)
	case EncodingPlain:
		return []byte(value), nil
	default:
		return nil, fmt.Errorf("cloudinit: unknown guestinfo encoding %q", encoding)
	}
}

// EncodeGuestInfo returns the four extraConfig entries that carry a
// node's metadata and userdata.
func EncodeGuestInfo(metadata, userdata []byte) map[string]string {
	md, mdEnc := Encode(metadata)
	ud, udEnc := Encode(userdata)
	return map[string]string{
		GuestInfoMetadata:         md,
		GuestInfoMetadataEncoding: mdEnc,
		GuestInfoUserdata:         ud,
		GuestInfoUserdataEncoding: udEnc,
	}
}

// DecodeGuestInfo extracts and decodes metadata and userdata from a VM's
// extraConfig entries. Both must be present.
func DecodeGuestInfo(extraConfig map[string]string) (metadata, userdata []byte, err error) {
	md, ok := extraConfig[GuestInfoMetadata]
	if !ok || md == "" {
		return nil, nil, errors.New("cloudinit: no " + GuestInfoMetadata)
	}
	ud, ok := extraConfig[GuestInfoUserdata]
	if !ok || ud == "" {
		return nil, nil, errors.New("cloudinit: no " + GuestInfoUserdata)
	}
	if metadata, err = Decode(md, extraConfig[GuestInfoMetadataEncoding]); err != nil {
		return nil, nil, fmt.Errorf("cloudinit: %s: %w", GuestInfoMetadata, err)
	}
	if userdata, err = Decode(ud, extraConfig[GuestInfoUserdataEncoding]); err != nil {
		return nil, nil, fmt.Errorf("cloudinit: %s: %w", GuestInfoUserdata, err)
	}
	return metadata, userdata, nil
}

func decodeBase64(s string) ([]byte, error) {
	// Values set by hand (govc, PowerCLI) often carry line breaks.
	s = strings.Join(strings.Fields(s), "")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("cloudinit: decode base64: %w", err)
	}
	return b, nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("cloudinit: decode gzip: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("cloudinit: decode gzip: %w", err)
	}
	return out, nil
}
