package cloudinit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":  {},
		"yaml":   []byte("#cloud-config\nhostname: node-1\n"),
		"binary": {0, 1, 2, 0xff, 0xfe, '\n'},
		"large":  bytes.Repeat([]byte("-----BEGIN CERTIFICATE-----\n"), 2000),
	} {
		t.Run(name, func(t *testing.T) {
			value, enc := Encode(data)
			if enc != "gzip+base64" {
				t.Errorf("encoding %q", enc)
			}
			if strings.ContainsAny(value, "\n ") {
				t.Error("encoded value contains whitespace")
			}
			got, err := Decode(value, enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("round trip changed the data")
			}
		})
	}
}

func TestEncodeCompresses(t *testing.T) {
	data := bytes.Repeat([]byte("write_files: []\n"), 1000)
	if value, _ := Encode(data); len(value) >= len(data)/4 {
		t.Errorf("encoded %d bytes into %d", len(data), len(value))
	}
}

func TestDecodeEncodings(t *testing.T) {
	want := []byte("instance-id: node-1\n")
	b64 := base64.StdEncoding.EncodeToString(want)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(want)
	zw.Close()
	gzb64 := base64.StdEncoding.EncodeToString(gz.Bytes())

	tests := []struct{ value, enc string }{
		{gzb64, "gzip+base64"},
		{gzb64, "gz+b64"},
		{b64, "base64"},
		{b64, "b64"},
		{b64[:10] + "\n" + b64[10:] + "\n", "base64"}, // wrapped, as by `base64`
		{string(want), ""},
	}
	for _, tt := range tests {
		got, err := Decode(tt.value, tt.enc)
		if err != nil {
			t.Errorf("Decode(%q): %v", tt.enc, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Decode(%q) = %q", tt.enc, got)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, value, enc, want string
	}{
		{"bad base64", "!!!", "base64", "base64"},
		{"bad base64 in gzip", "!!!", "gzip+base64", "base64"},
		{"not gzip", base64.StdEncoding.EncodeToString([]byte("plain")), "gzip+base64", "gzip"},
		{"truncated gzip", func() string { v, _ := Encode([]byte(strings.Repeat("x", 100))); return v[:len(v)-8] }(), "gzip+base64", ""},
		{"unknown encoding", "x", "rot13", "unknown guestinfo encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.value, tt.enc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGuestInfoRoundTrip(t *testing.T) {
	md, ud := []byte("instance-id: a\n"), []byte("#cloud-config\n")
	ec := EncodeGuestInfo(md, ud)
	for _, k := range []string{"guestinfo.metadata", "guestinfo.metadata.encoding", "guestinfo.userdata", "guestinfo.userdata.encoding"} {
		if ec[k] == "" {
			t.Errorf("%s not set", k)
		}
	}
	gotMD, gotUD, err := DecodeGuestInfo(ec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotMD, md) || !bytes.Equal(gotUD, ud) {
		t.Error("round trip changed the data")
	}

	// Plain values without an encoding key are accepted.
	gotMD, _, err = DecodeGuestInfo(map[string]string{GuestInfoMetadata: "instance-id: a\n", GuestInfoUserdata: "#cloud-config\n"})
	if err != nil || string(gotMD) != "instance-id: a\n" {
		t.Errorf("plain: %q, %v", gotMD, err)
	}

	for name, ec := range map[string]map[string]string{
		"no metadata":  {GuestInfoUserdata: "x"},
		"no userdata":  {GuestInfoMetadata: "x"},
		"bad encoding": {GuestInfoMetadata: "x", GuestInfoUserdata: "x", GuestInfoUserdataEncoding: "zip"},
	} {
		if _, _, err := DecodeGuestInfo(ec); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}
