package secrets

import (
	"errors"
	"testing"
)

func TestSealedKeyIDAndHolds(t *testing.T) {
	oldKey, newKey := newKey(t), newKey(t)
	oldRing, err := NewKeyring(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	both, err := NewKeyring(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("vcenter:1:password")
	sealedOld, err := oldRing.Seal([]byte("pw"), aad)
	if err != nil {
		t.Fatal(err)
	}
	sealedNew, err := both.Seal([]byte("pw"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := SealedKeyID(sealedOld); err != nil || id != KeyID(oldKey) {
		t.Errorf("SealedKeyID(old) = %q, %v; want %s", id, err, KeyID(oldKey))
	}
	if id, err := SealedKeyID(sealedNew); err != nil || id != KeyID(newKey) || id != both.PrimaryKeyID() {
		t.Errorf("SealedKeyID(new) = %q, %v; want %s", id, err, KeyID(newKey))
	}
	if _, err := SealedKeyID(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("SealedKeyID(nil) = %v, want ErrMalformed", err)
	}
	if _, err := SealedKeyID([]byte{9, 1, 2}); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("SealedKeyID(version 9) = %v, want ErrUnsupportedVersion", err)
	}
	if !both.Holds(KeyID(oldKey)) || !both.Holds(KeyID(newKey)) {
		t.Error("the two-key keyring does not hold both keys")
	}
	if oldRing.Holds(KeyID(newKey)) {
		t.Error("the old keyring holds the new key")
	}
	for _, bad := range []string{"", "zz", "00"} {
		if both.Holds(bad) {
			t.Errorf("Holds(%q) = true", bad)
		}
	}
	if _, err := oldRing.Open(sealedNew, aad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old keyring opened a value sealed with the new key: %v", err)
	}
}
