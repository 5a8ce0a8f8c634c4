package backupstore_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/clusterwright/clusterwright/backupstore"
)

func masterKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func encrypt(t *testing.T, k *backupstore.Key, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := k.Encrypt(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestKey derives the backup key twice from one master key, round-trips
// data larger than age's 64 KiB chunks, and refuses another key and
// tampered data.
func TestKey(t *testing.T) {
	master := masterKey(t)
	k, err := backupstore.DeriveKey(master)
	if err != nil {
		t.Fatal(err)
	}
	again, err := backupstore.DeriveKey(master)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != again.ID() || len(k.ID()) != 16 || !strings.HasPrefix(k.Recipient(), "age1") {
		t.Fatalf("key ids %s, %s; recipient %s", k.ID(), again.ID(), k.Recipient())
	}
	if _, err := backupstore.DeriveKey(master[:16]); err == nil {
		t.Error("a 16-byte master key was accepted")
	}

	plain := bytes.Repeat([]byte("kind: Secret\ndata: c2VjcmV0LXZhbHVl\n"), 10000) // 360 kB
	sealed := encrypt(t, k, plain)
	if bytes.Contains(sealed, []byte("kind: Secret")) || !bytes.HasPrefix(sealed, []byte("age-encryption.org/v1\n-> X25519 ")) {
		t.Fatalf("the object is not an age X25519 file: %q", sealed[:64])
	}
	r, err := again.Decrypt(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %d bytes of %d, %v", len(got), len(plain), err)
	}

	// The recipient is a real age recipient: what age itself encrypts to
	// it, the key decrypts.
	rcpt, err := age.ParseX25519Recipient(k.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	var viaAge bytes.Buffer
	w, _ := age.Encrypt(&viaAge, rcpt)
	_, _ = w.Write([]byte("written by age"))
	_ = w.Close()
	if r, err := k.Decrypt(&viaAge); err != nil {
		t.Fatal(err)
	} else if b, _ := io.ReadAll(r); string(b) != "written by age" {
		t.Fatalf("read %q", b)
	}

	other, err := backupstore.DeriveKey(masterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if other.ID() == k.ID() {
		t.Fatal("two master keys give one key id")
	}
	if _, err := other.Decrypt(bytes.NewReader(sealed)); !errors.Is(err, backupstore.ErrWrongKey) {
		t.Fatalf("another key: %v", err)
	}

	// One bit flipped in the payload: reading fails before the end.
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-100] ^= 1
	r, err = k.Decrypt(bytes.NewReader(tampered))
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if err == nil {
		t.Fatal("tampered data decrypted")
	}
	// Cut short: refused too.
	r, err = k.Decrypt(bytes.NewReader(sealed[:len(sealed)-70000]))
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if err == nil {
		t.Fatal("a truncated object decrypted")
	}
}
