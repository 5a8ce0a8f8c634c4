package nodes

import (
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/pki"
)

func TestRedact(t *testing.T) {
	keyPEM, _, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	key := string(keyPEM)
	rsaKey := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAxyz\nabc\n-----END RSA PRIVATE KEY-----"
	for _, tc := range []struct {
		name, text string
		secrets    []string
		want       string
	}{
		{name: "plain", text: "nothing secret here\n", want: "nothing secret here\n"},
		{name: "openssh key", text: "before\n" + key + "after\n", want: "before\n" + RedactedMark + "\nafter\n"},
		{name: "rsa key", text: "x " + rsaKey + " y", want: "x " + RedactedMark + " y"},
		{name: "two keys", text: rsaKey + "\nmid\n" + rsaKey, want: RedactedMark + "\nmid\n" + RedactedMark},
		{name: "key without end", text: "cut: -----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBg", want: "cut: " + RedactedMark},
		{name: "certificate kept", text: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
			want: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{name: "bootstrap token", text: "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00",
			want: "kubeadm join 10.0.0.1:6443 --token " + RedactedMark + " --discovery-token-ca-cert-hash sha256:00"},
		{name: "token lookalikes kept", text: "v1.34.2 kube-apiserver.yaml abcdef.0123456789abcdefg",
			want: "v1.34.2 kube-apiserver.yaml abcdef.0123456789abcdefg"},
		{name: "listed secrets", text: "password=hunter2hunter2 user=admin again hunter2hunter2", secrets: []string{"hunter2hunter2", ""},
			want: "password=" + RedactedMark + " user=admin again " + RedactedMark},
		{name: "overlapping secrets", text: "abcdefghij", secrets: []string{"abcdef", "defghij"}, want: RedactedMark},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.text, tc.secrets...); got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
	// A key's lines are secrets on their own, in case a tool reformats it.
	lines := keySecrets(keyPEM)
	if len(lines) < 3 || lines[0] != strings.TrimSpace(key) {
		t.Fatalf("keySecrets = %q", lines)
	}
	body := strings.Join(lines[1:], "")
	if got := Redact("joined: "+body, lines...); strings.Contains(got, lines[1]) {
		t.Errorf("a key's line survived: %q", got)
	}
}

// TestRedactCutFront checks text that begins inside a secret: the part of
// a key after its cut BEGIN line is redacted, and a cut listed secret in
// the dropped front does not show.
func TestRedactCutFront(t *testing.T) {
	text := "Nq1\n-----END OPENSSH PRIVATE KEY-----\nlog line\n-----BEGIN RSA PRIVATE KEY-----\nAA\n-----END RSA PRIVATE KEY-----\ntail\n"
	if got, want := redact(text, 3, nil), RedactedMark+"\nlog line\n"+RedactedMark+"\ntail\n"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
	// The end of a listed secret, cut at the front, lies in the dropped pad.
	if got := redact("ret-value and the rest", 10, []string{"secret-value"}); got != "and the rest" {
		t.Errorf("redact = %q", got)
	}
	// Whole text: a key's END line alone is not taken as a cut key.
	if got := redact("a -----END RSA PRIVATE KEY----- b", 0, nil); got != "a -----END RSA PRIVATE KEY----- b" {
		t.Errorf("redact = %q", got)
	}
}
