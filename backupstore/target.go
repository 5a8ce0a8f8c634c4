package backupstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotFound is returned by Target.Get for a key that holds no object.
var ErrNotFound = errors.New("backup object not found")

// Target is where backup objects are kept. Keys are relative,
// slash-separated paths (see CheckKey); a target keeps them under its own
// folder or prefix. Implementations are safe for concurrent use.
type Target interface {
	// Kind is the target's kind (domain.TargetDirectory, TargetS3 or
	// TargetVSphere) and Location says which directory, bucket or folder,
	// without credentials: both are recorded with each backup.
	Kind() string
	Location() string
	// Put stores what r yields under key, replacing an object already
	// there, and returns its size. An object whose Put failed is not
	// visible under key.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Get opens the object under key; ErrNotFound when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object under key; a missing object is no error.
	Delete(ctx context.Context, key string) error
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// CheckKey checks that key is a relative path of non-empty segments of
// letters, digits, '.', '-' and '_', none of them "." or "..": a key never
// leaves its target's folder.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("backup object key %q: want 1 to 512 characters", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("backup object key %q: empty, . or .. segment", key)
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
				return fmt.Errorf("backup object key %q: character %q not allowed", key, c)
			}
		}
	}
	return nil
}

// checkPrefix checks a List prefix: empty, or a key's beginning.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return CheckKey(strings.TrimSuffix(prefix, "/"))
}
