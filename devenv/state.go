package devenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// anyLoopbackPort asks for a free port on the loopback interface.
const anyLoopbackPort = "127.0.0.1:0"

// rememberedAddr is the loopback address with the port stored in portFile by an earlier
// run, or anyLoopbackPort the first time.
func rememberedAddr(portFile string) string {
	b, err := os.ReadFile(portFile)
	if err != nil {
		return anyLoopbackPort
	}
	p, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil || p <= 0 || p > 65535 {
		return anyLoopbackPort
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
}

// rememberPort stores port in portFile for the next run; failing that only costs a new port.
func rememberPort(portFile, port string, logger *slog.Logger) {
	if err := os.WriteFile(portFile, []byte(port+"\n"), 0o600); err != nil {
		logger.Warn("remember port", "file", portFile, "error", err)
	}
}

// urlPort is the explicit port of a URL like http://127.0.0.1:8879.
func urlPort(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Port() == "" {
		return "", false
	}
	return u.Port(), true
}

// persistentSecret returns the secret stored in file, creating a random one (with prefix)
// the first time, so that dev tokens and passwords survive restarts.
func persistentSecret(file, prefix string) (string, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	r := make([]byte, 24)
	rand.Read(r)
	s := prefix + hex.EncodeToString(r)
	if err := os.WriteFile(file, []byte(s+"\n"), 0o600); err != nil {
		return "", err
	}
	return s, nil
}

// writeEnvFile writes vars as a shell-sourceable file readable only by its owner.
func writeEnvFile(path string, vars map[string]string) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by `clusterwright dev`; source it: set -a; . " + filepath.Base(path) + "; set +a\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(vars[k]))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '@' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
