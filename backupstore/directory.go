package backupstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/clusterwright/clusterwright/domain"
)

// Directory is a target in a directory of the service's host: the
// development default. Objects are files of mode 0600 written to a
// temporary name and renamed into place, so that a reader never sees half
// an object; every access goes through an os.Root, so that neither a key
// nor a symbolic link leads out of the directory.
type Directory struct {
	dir string
}

// NewDirectory returns the target in dir, creating it (mode 0700) when it
// does not exist.
func NewDirectory(dir string) (*Directory, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("backup directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("backup directory: %w", err)
	}
	return &Directory{dir: abs}, nil
}

// Kind is domain.TargetDirectory.
func (d *Directory) Kind() string { return domain.TargetDirectory }

// Location is the directory's absolute path.
func (d *Directory) Location() string { return d.dir }

func (d *Directory) open() (*os.Root, error) {
	r, err := os.OpenRoot(d.dir)
	if err != nil {
		return nil, fmt.Errorf("backup directory: %w", err)
	}
	return r, nil
}

// Put writes r to a temporary file beside key's and renames it into place.
func (d *Directory) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	root, err := d.open()
	if err != nil {
		return 0, err
	}
	defer root.Close()
	if dir := path.Dir(key); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return 0, fmt.Errorf("backup directory: %w", err)
		}
	}
	tmp := path.Join(path.Dir(key), "."+path.Base(key)+".tmp-"+rand.Text()[:8])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup directory: %w", err)
	}
	n, err := io.Copy(f, contextReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, key)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return 0, fmt.Errorf("write %s in the backup directory: %w", key, err)
	}
	return n, nil
}

// Get opens the file of key.
func (d *Directory) Get(_ context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	root, err := d.open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s in the backup directory: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("backup directory: %w", err)
	}
	return f, nil
}

// Delete removes the file of key, and its directory when that is left empty.
func (d *Directory) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	root, err := d.open()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s in the backup directory: %w", key, err)
	}
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if root.Remove(dir) != nil { // not empty
			break
		}
	}
	return nil
}

// List walks the directory for the files whose key starts with prefix;
// temporary files of unfinished Puts are left out.
func (d *Directory) List(_ context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	root, err := d.open()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var keys []string
	err = fs.WalkDir(root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && strings.HasPrefix(p, prefix) {
			keys = append(keys, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the backup directory: %w", err)
	}
	slices.Sort(keys)
	return keys, nil
}

// contextReader ends a copy when ctx ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
