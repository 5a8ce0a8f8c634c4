package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// envConfig names the config file instead of the default
// ($XDG_CONFIG_HOME/clusterwright/cwctl.json, ~/.config/clusterwright/cwctl.json).
const envConfig = "CWCTL_CONFIG"

// configFile is what `cwctl login` keeps: the API URL and a personal token, readable by
// its owner only (mode 0600). Flags and environment variables win over it, and its token
// is sent only to its own URL.
type configFile struct {
	URL       string     `json:"url"`
	Token     string     `json:"token"`
	TokenName string     `json:"token_name,omitempty"`
	Subject   string     `json:"subject,omitempty"`
	Email     string     `json:"email,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// configPath is where the config file is.
func configPath(getenv func(string) string) (string, error) {
	if p := getenv(envConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config file: %w (set $%s)", err, envConfig)
	}
	return filepath.Join(dir, "clusterwright", "cwctl.json"), nil
}

// readConfig reads the config file; a missing one is empty.
func readConfig(getenv func(string) string) (configFile, error) {
	var cf configFile
	path, err := configPath(getenv)
	if err != nil {
		return cf, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return cf, fmt.Errorf("config file: %w", err)
	}
	if err := json.Unmarshal(b, &cf); err != nil {
		return cf, fmt.Errorf("config file %s: %w", path, err)
	}
	return cf, nil
}

// writeConfig replaces the config file with cf, mode 0600 in a directory of mode 0700,
// through a temporary file so that it is never seen half written or readable by others.
func writeConfig(getenv func(string) string, cf configFile) (string, error) {
	path, err := configPath(getenv)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("config file: %w", err)
	}
	b, err := json.MarshalIndent(cf, "", "  ")
	if err != nil {
		return "", fmt.Errorf("config file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cwctl-*.json")
	if err != nil {
		return "", fmt.Errorf("config file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(b, '\n'))
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
	}
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("config file %s: %w", path, err)
	}
	return path, nil
}

// sameURL compares API base URLs, ignoring a trailing slash.
func sameURL(a, b string) bool {
	return strings.TrimRight(strings.TrimSpace(a), "/") == strings.TrimRight(strings.TrimSpace(b), "/")
}
