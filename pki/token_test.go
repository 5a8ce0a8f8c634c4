package pki

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestNewBootstrapToken(t *testing.T) {
	format := regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)
	seen := map[string]bool{}
	for range 50 {
		tok, err := NewBootstrapToken()
		if err != nil {
			t.Fatal(err)
		}
		s := tok.String()
		if !format.MatchString(s) {
			t.Fatalf("token %q not in kubeadm format", s)
		}
		if seen[s] {
			t.Fatalf("duplicate token %q", s)
		}
		seen[s] = true
		back, err := ParseBootstrapToken(s)
		if err != nil || back != tok {
			t.Fatalf("ParseBootstrapToken(%q) = %v, %v", s, back, err)
		}
	}
}

func TestParseBootstrapToken(t *testing.T) {
	tok, err := ParseBootstrapToken("abcdef.0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID != "abcdef" || tok.Secret != "0123456789abcdef" {
		t.Errorf("parsed %+v", tok)
	}
	bad := []string{
		"",
		"abcdef0123456789abcdef",
		"abcde.0123456789abcdef",
		"abcdefg.0123456789abcdef",
		"abcdef.0123456789abcde",
		"abcdef.0123456789abcdef0",
		"ABCDEF.0123456789abcdef",
		"abcdef.0123456789ABCDEF",
		"abc-ef.0123456789abcdef",
		" abcdef.0123456789abcdef",
		"abcdef.0123456789abcdef\n",
		"abcdef:0123456789abcdef",
	}
	for _, s := range bad {
		_, err := ParseBootstrapToken(s)
		if err == nil {
			t.Errorf("ParseBootstrapToken(%q): want error", s)
			continue
		}
		if len(s) > 6 && strings.Contains(err.Error(), s[7:]) {
			t.Errorf("error %q leaks the secret", err)
		}
	}
}

func TestBootstrapTokenJSON(t *testing.T) {
	var v struct {
		Token BootstrapToken `json:"token"`
	}
	if err := json.Unmarshal([]byte(`{"token":"abcdef.0123456789abcdef"}`), &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"token":"abcdef.0123456789abcdef"}` {
		t.Errorf("Marshal = %s", out)
	}
	if err := json.Unmarshal([]byte(`{"token":"nope"}`), &v); err == nil {
		t.Error("Unmarshal of a malformed token: want error")
	}
	v.Token = BootstrapToken{}
	if _, err := json.Marshal(v); err == nil {
		t.Error("Marshal of an empty token: want error")
	}
}
