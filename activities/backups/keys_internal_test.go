package backups

import (
	"bytes"
	"io"
	"testing"

	"github.com/clusterwright/clusterwright/backupstore"
)

// TestKeyOfOldBackups: after a master key rotation a backup taken before is read with
// the key of the old master key; one of a key the service does not hold is refused.
func TestKeyOfOldBackups(t *testing.T) {
	derive := func(b byte) *backupstore.Key {
		k, err := backupstore.DeriveKey(bytes.Repeat([]byte{b}, 32))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	current, old, stranger := derive(1), derive(2), derive(3)
	a := &Activities{Key: current, OldKeys: []*backupstore.Key{old}}
	if a.keyOf(current.ID()) != current || a.keyOf(old.ID()) != old || a.keyOf(stranger.ID()) != nil {
		t.Fatal("keyOf does not pick the key a backup was encrypted with")
	}
	// A snapshot encrypted before the rotation decrypts with the key keyOf picks.
	var enc bytes.Buffer
	w, err := old.Encrypt(&enc)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "etcd snapshot")
	w.Close()
	r, err := a.keyOf(old.ID()).Decrypt(&enc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); string(got) != "etcd snapshot" {
		t.Fatalf("decrypted %q", got)
	}
}
