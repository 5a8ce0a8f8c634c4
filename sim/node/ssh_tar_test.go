package node

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTarArgs(t *testing.T) {
	for _, tc := range []struct {
		line string
		want tarArgs
	}{
		{"-C /etc/kubernetes -czf - pki", tarArgs{create: true, gzip: true, file: "-", dir: "/etc/kubernetes", names: []string{"pki"}}},
		{"czf /tmp/a.tgz -C/etc x y", tarArgs{create: true, gzip: true, file: "/tmp/a.tgz", dir: "/etc", names: []string{"x", "y"}}},
		{"--create --gzip --file=- --directory=/etc pki", tarArgs{create: true, gzip: true, file: "-", dir: "/etc", names: []string{"pki"}}},
		{"-cf out.tar a", tarArgs{create: true, file: "out.tar", dir: ".", names: []string{"a"}}},
	} {
		got, err := parseTarArgs(strings.Fields(tc.line))
		if err != nil || got.create != tc.want.create || got.gzip != tc.want.gzip || got.file != tc.want.file ||
			got.dir != tc.want.dir || strings.Join(got.names, ",") != strings.Join(tc.want.names, ",") {
			t.Errorf("tar %s: %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	for _, bad := range []string{"-czq - x", "--bogus x", "-cf"} {
		if _, err := parseTarArgs(strings.Fields(bad)); err == nil {
			t.Errorf("tar %s accepted", bad)
		}
	}
}

// readTarGz returns the entries of a gzipped tar: name to content ("/" for
// directories).
func readTarGz(t *testing.T, b []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	entries := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Typeflag == tar.TypeDir {
			data = []byte("/")
		}
		entries[h.Name] = string(data)
	}
}

// testSSHTar archives the node's PKI to standard output over SSH, as a
// backup does, and checks an unprivileged tar is refused the keys.
func testSSHTar(t *testing.T, n *sshNode) {
	r := mustRun(t, n.client, "sudo tar -C /etc/kubernetes -czf - pki", "")
	entries := readTarGz(t, []byte(r.stdout))
	caKey, err := os.ReadFile(filepath.Join(n.RootDir(), "etc/kubernetes/pki/ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if entries["pki/"] != "/" || entries["pki/etcd/"] != "/" || entries["pki/ca.key"] != string(caKey) || entries["pki/etcd/ca.crt"] == "" {
		names := make([]string, 0, len(entries))
		for k := range entries {
			names = append(names, k)
		}
		t.Fatalf("archive holds %v", names)
	}
	r = runSSH(t, n.client, "tar -C /etc/kubernetes -czf - pki", "")
	if r.status != 2 || !strings.Contains(r.stderr, "tar: pki/ca.key: Cannot open: Permission denied") ||
		!strings.Contains(r.stderr, "Exiting with failure status due to previous errors") {
		t.Errorf("tar without sudo: %v", r)
	}
	if r := runSSH(t, n.client, "sudo tar -C /nonexistent -czf - pki", ""); r.status != 2 {
		t.Errorf("tar of a missing directory: %v", r)
	}
}
