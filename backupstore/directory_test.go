package backupstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/backupstore"
)

// TestDirectory runs the target tests on a directory, whose files are
// private and whose symbolic links do not lead out.
func TestDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	target, err := backupstore.NewDirectory(dir)
	if err != nil {
		t.Fatal(err)
	}
	testTarget(t, target, 3<<20)
	if target.Location() != dir {
		t.Errorf("location %s, want %s", target.Location(), dir)
	}
	fi, err := os.Stat(filepath.Join(dir, "c1/b3/etcd.db.age"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("object file %v, %v", fi, err)
	}
	// No temporary file is left behind.
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A link to outside the directory is not followed.
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("host file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "c1", "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := target.Get(t.Context(), "c1/link"); err == nil {
		t.Error("a link out of the directory was followed")
	}
}
