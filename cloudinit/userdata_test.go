package cloudinit

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestRenderUserData(t *testing.T) {
	ud := UserData{
		Hostname: "node-1",
		Users:    []User{{Name: "clusterwright", SSHAuthorizedKeys: []string{"ssh-ed25519 AAAA"}, Sudo: "ALL=(ALL) NOPASSWD:ALL", Shell: "/bin/bash"}},
		WriteFiles: []File{
			{Path: "/etc/kubernetes/pki/ca.key", Content: "-----BEGIN EC PRIVATE KEY-----\nMHc=\n-----END EC PRIVATE KEY-----\n", Permissions: "0600", Owner: "root:root"},
			{Path: "/etc/motd", Content: "yes\n", Permissions: "0644"},
		},
		RunCmd: []Command{{"kubeadm", "init", "--config", "/etc/kubernetes/kubeadm.yaml"}},
	}
	out, err := RenderUserData(ud)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("#cloud-config\n")) {
		t.Fatalf("does not start with #cloud-config:\n%s", out)
	}

	// Valid YAML, with the cloud-config keys cloud-init expects and the
	// permissions as strings (an unquoted 0600 would be an integer).
	var raw map[string]any
	if err := yaml.Unmarshal(out, &raw); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out)
	}
	for _, k := range []string{"hostname", "users", "write_files", "runcmd"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("key %s missing", k)
		}
	}
	wf := raw["write_files"].([]any)[0].(map[string]any)
	if wf["permissions"] != "0600" {
		t.Errorf("permissions = %#v, want the string \"0600\"", wf["permissions"])
	}
	user := raw["users"].([]any)[0].(map[string]any)
	if _, ok := user["ssh_authorized_keys"]; !ok {
		t.Errorf("user keys: %v", user)
	}
	if cmd := raw["runcmd"].([]any)[0].([]any); len(cmd) != 4 || cmd[0] != "kubeadm" {
		t.Errorf("runcmd = %v", cmd)
	}

	got, err := ParseUserData(out)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := got.File("/etc/kubernetes/pki/ca.key")
	if !ok || f.Content != ud.WriteFiles[0].Content || f.Permissions != "0600" {
		t.Errorf("File(ca.key) = %+v, %v", f, ok)
	}
	if _, ok := got.File("/nope"); ok {
		t.Error("File(/nope) found")
	}
	if !slices.Equal(got.RunCmd[0], ud.RunCmd[0]) {
		t.Errorf("runcmd = %v", got.RunCmd)
	}
}

func TestParseUserData(t *testing.T) {
	ud, err := ParseUserData([]byte("#cloud-config\r\nruncmd:\n  - echo hi > /tmp/x\n  - [kubeadm, join]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{{"sh", "-c", "echo hi > /tmp/x"}, {"kubeadm", "join"}}
	if len(ud.RunCmd) != 2 || !slices.Equal(ud.RunCmd[0], want[0]) || !slices.Equal(ud.RunCmd[1], want[1]) {
		t.Errorf("runcmd = %q", ud.RunCmd)
	}

	for name, in := range map[string]string{
		"shell script":      "#!/bin/sh\necho hi\n",
		"no header":         "hostname: x\n",
		"header not first":  "\n#cloud-config\nhostname: x\n",
		"misspelt":          "#cloud-config-archive\n- x\n",
		"bad yaml":          "#cloud-config\nhostname: [\n",
		"bad runcmd entry":  "#cloud-config\nruncmd:\n  - {a: b}\n",
		"empty":             "",
		"gzip not unpacked": "\x1f\x8b\x08",
	} {
		if _, err := ParseUserData([]byte(in)); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

func TestFileData(t *testing.T) {
	want := []byte("secret\x00bytes\n")
	gz, _ := Encode(want)
	tests := []File{
		{Path: "/a", Content: string(want)},
		{Path: "/a", Content: string(want), Encoding: "text/plain"},
		{Path: "/a", Content: base64.StdEncoding.EncodeToString(want), Encoding: "b64"},
		{Path: "/a", Content: base64.StdEncoding.EncodeToString(want), Encoding: "base64"},
		{Path: "/a", Content: gz, Encoding: "gz+b64"},
		{Path: "/a", Content: gz, Encoding: "gzip+base64"},
	}
	for _, f := range tests {
		got, err := f.Data()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Data(%q) = %q, %v", f.Encoding, got, err)
		}
	}
	if _, err := (File{Path: "/a", Content: "x", Encoding: "uu"}).Data(); err == nil || !strings.Contains(err.Error(), "/a") {
		t.Errorf("unknown encoding: %v", err)
	}
	if _, err := (File{Path: "/a", Content: "!!", Encoding: "b64"}).Data(); err == nil {
		t.Error("bad base64: want error")
	}
}
