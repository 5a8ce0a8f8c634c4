package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return key
}

func newKeyring(t *testing.T, primary []byte, old ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(primary, old...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

const plaintextCanary = "hunter2-PLAINTEXT-canary"

var aad = []byte("vcenter:42:password")

func TestSealOpenRoundTrip(t *testing.T) {
	k := newKeyring(t, newKey(t))
	for _, plaintext := range [][]byte{nil, {}, []byte("p"), []byte(plaintextCanary), bytes.Repeat([]byte{0xAB}, 1<<16)} {
		sealed, err := k.Seal(plaintext, aad)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(plaintext) > 4 && bytes.Contains(sealed, plaintext) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := k.Open(sealed, aad)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatalf("Open = %q, want %q", got, plaintext)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	k := newKeyring(t, newKey(t))
	a, _ := k.Seal([]byte(plaintextCanary), aad)
	b, _ := k.Seal([]byte(plaintextCanary), aad)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal")
	}
}

func TestSealedFormat(t *testing.T) {
	key := newKey(t)
	k := newKeyring(t, key)
	sealed, err := k.Seal([]byte(plaintextCanary), aad)
	if err != nil {
		t.Fatal(err)
	}
	if sealed[0] != formatV1 {
		t.Errorf("version byte = %d, want %d", sealed[0], formatV1)
	}
	if got, want := sealedKeyID(sealed), KeyID(key); got != want {
		t.Errorf("key id in sealed value = %s, want %s", got, want)
	}
	if got, want := len(sealed), headerSize+len(plaintextCanary)+tagSize; got != want {
		t.Errorf("len = %d, want %d", got, want)
	}
	if got, want := k.PrimaryKeyID(), KeyID(key); got != want {
		t.Errorf("PrimaryKeyID = %s, want %s", got, want)
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	k := newKeyring(t, newKey(t))
	sealed, err := k.Seal([]byte(plaintextCanary), aad)
	if err != nil {
		t.Fatal(err)
	}
	parts := []struct {
		name    string
		offset  int
		wantErr error
	}{
		{"version", 0, ErrUnsupportedVersion},
		{"key id", offKeyID, ErrUnknownKey},
		{"wrap nonce", offWrapNonce, ErrAuthentication},
		{"wrapped key", offWrappedKey + 5, ErrAuthentication},
		{"wrapped key tag", offDataNonce - 1, ErrAuthentication},
		{"data nonce", offDataNonce, ErrAuthentication},
		{"ciphertext", headerSize + 3, ErrAuthentication},
		{"data tag", len(sealed) - 1, ErrAuthentication},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) {
			tampered := bytes.Clone(sealed)
			tampered[p.offset] ^= 0x01
			got, err := k.Open(tampered, aad)
			if !errors.Is(err, p.wantErr) {
				t.Fatalf("Open(tampered %s) = %q, %v; want %v", p.name, got, err, p.wantErr)
			}
			assertNoPlaintext(t, err)
		})
	}

	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 1, headerSize, len(sealed) - 1} {
			_, err := k.Open(sealed[:n], aad)
			if err == nil {
				t.Fatalf("Open(sealed[:%d]) succeeded", n)
			}
			assertNoPlaintext(t, err)
		}
	})
	t.Run("extended", func(t *testing.T) {
		_, err := k.Open(append(bytes.Clone(sealed), 0), aad)
		if !errors.Is(err, ErrAuthentication) {
			t.Fatalf("Open(extended) error = %v, want ErrAuthentication", err)
		}
	})
}

func TestOpenWrongAAD(t *testing.T) {
	k := newKeyring(t, newKey(t))
	sealed, err := k.Seal([]byte(plaintextCanary), aad)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range [][]byte{nil, []byte("vcenter:43:password"), append(bytes.Clone(aad), 0)} {
		_, err := k.Open(sealed, wrong)
		if !errors.Is(err, ErrAuthentication) {
			t.Fatalf("Open with aad %q: error = %v, want ErrAuthentication", wrong, err)
		}
		assertNoPlaintext(t, err)
	}
}

func TestOpenUnknownKey(t *testing.T) {
	sealed, err := newKeyring(t, newKey(t)).Seal([]byte(plaintextCanary), aad)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newKeyring(t, newKey(t)).Open(sealed, aad)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("error = %v, want ErrUnknownKey", err)
	}
	assertNoPlaintext(t, err)
}

func TestRotation(t *testing.T) {
	oldKey, newKeyBytes := newKey(t), newKey(t)
	sealedOld, err := newKeyring(t, oldKey).Seal([]byte(plaintextCanary), aad)
	if err != nil {
		t.Fatal(err)
	}

	rotated := newKeyring(t, newKeyBytes, oldKey)
	got, err := rotated.Open(sealedOld, aad)
	if err != nil {
		t.Fatalf("Open value sealed with the old key: %v", err)
	}
	if string(got) != plaintextCanary {
		t.Fatalf("Open = %q", got)
	}

	sealedNew, err := rotated.Seal(got, aad)
	if err != nil {
		t.Fatal(err)
	}
	if sealedKeyID(sealedNew) != KeyID(newKeyBytes) {
		t.Fatal("re-sealed value does not name the new primary key")
	}
	if _, err := newKeyring(t, oldKey).Open(sealedNew, aad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old-only keyring opened a value sealed with the new primary: %v", err)
	}
	if _, err := newKeyring(t, newKeyBytes).Open(sealedNew, aad); err != nil {
		t.Fatalf("new keyring: %v", err)
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	if _, err := NewKeyring(make([]byte, 16)); !errors.Is(err, ErrKeySize) {
		t.Errorf("16-byte primary: error = %v, want ErrKeySize", err)
	}
	if _, err := NewKeyring(newKey(t), newKey(t), make([]byte, 31)); !errors.Is(err, ErrKeySize) || !strings.Contains(err.Error(), "old key 2") {
		t.Errorf("31-byte old key: error = %v, want ErrKeySize naming old key 2", err)
	}
	if _, err := NewKeyring(nil); err == nil {
		t.Error("nil primary accepted")
	}
}

func TestKeyringDoesNotAliasKey(t *testing.T) {
	key := newKey(t)
	k := newKeyring(t, key)
	sealed, _ := k.Seal([]byte(plaintextCanary), aad)
	clear(key)
	if _, err := k.Open(sealed, aad); err != nil {
		t.Fatalf("Open after caller cleared its key slice: %v", err)
	}
}

func sealedKeyID(sealed []byte) string {
	return hex.EncodeToString(sealed[offKeyID : offKeyID+keyIDSize])
}

func assertNoPlaintext(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), plaintextCanary) {
		t.Fatalf("error message contains the plaintext: %v", err)
	}
}
