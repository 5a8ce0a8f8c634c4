package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvKey is the environment variable that carries the master key, encoded as
// ParseKey accepts. It takes precedence over a key file.
const EnvKey = "CLUSTERWRIGHT_SECRET_KEY"

// ParseKey decodes a KeySize-byte key written as base64 (standard or URL
// alphabet, padded or not) or as 64 hex characters. Surrounding whitespace is
// ignored. Errors never repeat the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("key is empty")
	}
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("%w, base64 decodes to %d bytes", ErrKeySize, len(key))
		}
		return key, nil
	}
	return nil, fmt.Errorf("key is neither base64 nor 64 hex characters (%d characters)", len(s))
}

// LoadKey returns the master key from value (normally the content of the
// CLUSTERWRIGHT_SECRET_KEY variable) or, when value is empty, from the file at
// path file. Errors name the source that was bad, never the key.
func LoadKey(value, file string) ([]byte, error) {
	if strings.TrimSpace(value) != "" {
		key, err := ParseKey(value)
		if err != nil {
			return nil, fmt.Errorf("secrets: %s: %w", EnvKey, err)
		}
		return key, nil
	}
	if file == "" {
		return nil, fmt.Errorf("secrets: no master key: set %s or configure a key file", EnvKey)
	}
	return readKeyFile(file)
}

// GenerateKeyFile returns the key stored at path, creating the file with a new
// random key and mode 0600 when it does not exist. An existing file is never
// overwritten: if it holds no valid key, GenerateKeyFile fails. The directory
// must exist.
func GenerateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}

	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets: generate key: %w", err)
	}
	// Write a private temporary file, then link it into place: the link fails
	// if another process created path meanwhile, so nothing is overwritten and
	// nobody reads a half-written key.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("secrets: create key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeAndClose(tmp, base64.StdEncoding.EncodeToString(key)+"\n"); err != nil {
		return nil, fmt.Errorf("secrets: write key file %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, fmt.Errorf("secrets: create key file %s: %w", path, err)
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: read key file: %w", err)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	return key, nil
}

func writeAndClose(f *os.File, content string) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
