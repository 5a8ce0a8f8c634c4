package backupstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/backupstore"
)

// testTarget runs what every target must do: Upload encrypts and hashes,
// Put replaces, Get reads back, List lists by prefix, Delete deletes, keys
// that leave the target are refused. big is the size of the large object.
func testTarget(t *testing.T, target backupstore.Target, big int) {
	ctx := t.Context()
	key, err := backupstore.DeriveKey(masterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := target.List(ctx, ""); err != nil || len(keys) != 0 {
		t.Fatalf("list of an empty target: %v, %v", keys, err)
	}
	plain := make([]byte, big)
	for i := range plain {
		plain[i] = byte(i * 7 / 5)
	}
	copy(plain[1000:], "the-known-secret-value")
	obj, err := backupstore.Upload(ctx, target, key, "c1/b1/etcd.db.age", func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(plain))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	plainSum := sha256.Sum256(plain)
	if obj.PlainSize != int64(big) || obj.PlainSHA256 != hex.EncodeToString(plainSum[:]) || obj.Size <= obj.PlainSize || obj.Key != "c1/b1/etcd.db.age" {
		t.Fatalf("uploaded %+v", obj)
	}
	stored := get(t, target, "c1/b1/etcd.db.age")
	sum := sha256.Sum256(stored)
	if int64(len(stored)) != obj.Size || hex.EncodeToString(sum[:]) != obj.SHA256 {
		t.Fatalf("stored %d bytes (sha256 %x), upload said %+v", len(stored), sum, obj)
	}
	if bytes.Contains(stored, []byte("the-known-secret-value")) {
		t.Fatal("the stored object holds plaintext")
	}
	r, err := key.Decrypt(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypted %d bytes, %v", len(got), err)
	}

	// A producer that fails leaves no object.
	_, err = backupstore.Upload(ctx, target, key, "c1/b2/etcd.db.age", func(w io.Writer) error {
		_, _ = w.Write(plain[:1000])
		return errors.New("etcd went away")
	})
	if err == nil || !strings.Contains(err.Error(), "etcd went away") {
		t.Fatalf("failed producer: %v", err)
	}
	if _, err := target.Get(ctx, "c1/b2/etcd.db.age"); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("object of a failed upload: %v", err)
	}

	// Put replaces.
	for i, k := range []string{"c1/b1/pki.tar.gz.age", "c1/b3/etcd.db.age", "c2/b4/etcd.db.age", "c1/b3/etcd.db.age"} {
		if n, err := target.Put(ctx, k, strings.NewReader(fmt.Sprintf("object %d", i))); err != nil || n != 8 {
			t.Fatalf("put %s: %d, %v", k, n, err)
		}
	}
	if got := string(get(t, target, "c1/b3/etcd.db.age")); got != "object 3" {
		t.Fatalf("replaced object reads %q", got)
	}
	list(t, target, "", "c1/b1/etcd.db.age", "c1/b1/pki.tar.gz.age", "c1/b3/etcd.db.age", "c2/b4/etcd.db.age")
	list(t, target, "c1/", "c1/b1/etcd.db.age", "c1/b1/pki.tar.gz.age", "c1/b3/etcd.db.age")
	list(t, target, "c1/b1/", "c1/b1/etcd.db.age", "c1/b1/pki.tar.gz.age")

	if err := target.Delete(ctx, "c1/b1/etcd.db.age"); err != nil {
		t.Fatal(err)
	}
	if err := target.Delete(ctx, "c1/b1/etcd.db.age"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := target.Get(ctx, "c1/b1/etcd.db.age"); !errors.Is(err, backupstore.ErrNotFound) {
		t.Fatalf("get of a deleted object: %v", err)
	}
	list(t, target, "c1/", "c1/b1/pki.tar.gz.age", "c1/b3/etcd.db.age")

	for _, bad := range []string{"../escape", "c1/../../escape", "/abs", "c1//x", "c1/./x", "a b", ""} {
		if _, err := target.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("put %q accepted", bad)
		}
		if _, err := target.Get(ctx, bad); err == nil {
			t.Errorf("get %q accepted", bad)
		}
	}
	if target.Kind() == "" || target.Location() == "" {
		t.Errorf("kind %q, location %q", target.Kind(), target.Location())
	}
}

func get(t *testing.T, target backupstore.Target, key string) []byte {
	t.Helper()
	rc, err := target.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func list(t *testing.T, target backupstore.Target, prefix string, want ...string) {
	t.Helper()
	got, err := target.List(t.Context(), prefix)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("list %q: %v, %v; want %v", prefix, got, err, want)
	}
}
