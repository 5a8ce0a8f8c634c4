package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestParseKeyEncodings(t *testing.T) {
	key := newKey(t)
	for name, s := range map[string]string{
		"base64 std":      base64.StdEncoding.EncodeToString(key),
		"base64 raw std":  base64.RawStdEncoding.EncodeToString(key),
		"base64 url":      base64.URLEncoding.EncodeToString(key),
		"base64 raw url":  base64.RawURLEncoding.EncodeToString(key),
		"hex":             hex.EncodeToString(key),
		"hex upper":       strings.ToUpper(hex.EncodeToString(key)),
		"with whitespace": "  " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, key) {
			t.Errorf("%s: wrong key", name)
		}
	}
}

func TestParseKeyRejects(t *testing.T) {
	const secretish = "not-a-key-but-do-not-echo-me!!"
	for name, s := range map[string]string{
		"empty":        "",
		"blank":        " \n",
		"short base64": base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"long base64":  base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 48)),
		"short hex":    hex.EncodeToString(make([]byte, 31)),
		"garbage":      secretish,
	} {
		_, err := ParseKey(s)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.TrimSpace(s) != "" && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Errorf("%s: error repeats the input: %v", name, err)
		}
	}
}

func TestLoadKeyPrecedenceAndErrors(t *testing.T) {
	dir := t.TempDir()
	envKey, fileKey := newKey(t), newKey(t)
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte(hex.EncodeToString(fileKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := LoadKey(base64.StdEncoding.EncodeToString(envKey), file)
	if err != nil || !bytes.Equal(got, envKey) {
		t.Fatalf("value should win over file: %v", err)
	}
	got, err = LoadKey("", file)
	if err != nil || !bytes.Equal(got, fileKey) {
		t.Fatalf("file: %v", err)
	}

	_, err = LoadKey("bogus", file)
	if err == nil || !strings.Contains(err.Error(), EnvKey) || strings.Contains(err.Error(), "bogus") {
		t.Errorf("bad value: error = %v, want it to name %s and not echo the value", err, EnvKey)
	}

	missing := filepath.Join(dir, "missing")
	_, err = LoadKey("", missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error = %v, want it to name %s", err, missing)
	}

	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("c2VjcmV0LWJ1dC1zaG9ydA=="), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKey("", bad)
	if err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("bad file: error = %v, want it to name %s and not echo the content", err, bad)
	}

	if _, err := LoadKey("", ""); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("no source: error = %v", err)
	}
}

func TestGenerateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")

	key, err := GenerateKeyFile(path)
	if err != nil {
		t.Fatalf("GenerateKeyFile: %v", err)
	}
	if len(key) != KeySize {
		t.Fatalf("key length %d", len(key))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode = %o, want 600", perm)
	}
	if loaded, err := LoadKey("", path); err != nil || !bytes.Equal(loaded, key) {
		t.Errorf("LoadKey of the generated file: %v", err)
	}

	again, err := GenerateKeyFile(path)
	if err != nil {
		t.Fatalf("second GenerateKeyFile: %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Fatal("second GenerateKeyFile returned a different key: the file was overwritten")
	}

	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}
}

func TestGenerateKeyFileNeverOverwritesInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := GenerateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v, want one naming %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != "not a key" {
		t.Fatal("invalid key file was overwritten")
	}
}

func TestGenerateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = GenerateKeyFile(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("call %d returned a different key", i)
		}
	}
}

func TestGenerateKeyFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "master.key")
	if _, err := GenerateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v, want one naming %s", err, path)
	}
}
