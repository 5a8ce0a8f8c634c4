package cloudinit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// cloudConfigHeader is the first line that makes userdata a cloud-config.
const cloudConfigHeader = "#cloud-config"

// UserData is a #cloud-config document, with the modules Clusterwright
// uses.
type UserData struct {
	Hostname string `json:"hostname,omitempty"`
	// ManageEtcHosts makes cloud-init map the hostname in /etc/hosts, so
	// that kubeadm's preflight hostname check resolves it.
	ManageEtcHosts bool      `json:"manage_etc_hosts,omitempty"`
	Users          []User    `json:"users,omitempty"`
	WriteFiles     []File    `json:"write_files,omitempty"`
	RunCmd         []Command `json:"runcmd,omitempty"`
}

// User is an account created by cloud-init.
type User struct {
	Name              string   `json:"name"`
	SSHAuthorizedKeys []string `json:"ssh_authorized_keys,omitempty"`
	// Sudo is a sudoers rule, e.g. "ALL=(ALL) NOPASSWD:ALL".
	Sudo  string `json:"sudo,omitempty"`
	Shell string `json:"shell,omitempty"`
}

// File is a write_files entry.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content,omitempty"`
	// Permissions is an octal mode as a string, e.g. "0600".
	Permissions string `json:"permissions,omitempty"`
	// Owner is "user:group"; cloud-init's default is root:root.
	Owner string `json:"owner,omitempty"`
	// Encoding of Content: "" (plain), "b64"/"base64" or
	// "gz+b64"/"gzip+base64" (and the other cloud-init spellings).
	Encoding string `json:"encoding,omitempty"`
}

// Command is one runcmd entry as an argument vector; cloud-init runs it
// without a shell. A string entry, which cloud-init runs with sh, parses
// as {"sh", "-c", entry}.
type Command []string

// UnmarshalJSON accepts a list of strings or a single shell string.
func (c *Command) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Command{"sh", "-c", s}
		return nil
	}
	var args []string
	if err := json.Unmarshal(b, &args); err != nil {
		return fmt.Errorf("cloudinit: runcmd entry is neither a string nor a list of strings: %w", err)
	}
	*c = args
	return nil
}

// RenderUserData marshals ud as a cloud-config document: the line
// "#cloud-config" followed by YAML.
func RenderUserData(ud UserData) ([]byte, error) {
	body, err := yaml.Marshal(ud)
	if err != nil {
		return nil, fmt.Errorf("cloudinit: render userdata: %w", err)
	}
	out := make([]byte, 0, len(cloudConfigHeader)+1+len(body))
	out = append(out, cloudConfigHeader+"\n"...)
	return append(out, body...), nil
}

// ParseUserData parses a cloud-config document. It fails if the first line
// is not "#cloud-config" (shell scripts, MIME multipart and other userdata
// formats are not Clusterwright's).
func ParseUserData(data []byte) (*UserData, error) {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if strings.TrimRight(string(first), " \t\r") != cloudConfigHeader {
		return nil, errors.New("cloudinit: userdata does not start with " + cloudConfigHeader)
	}
	var ud UserData
	if err := yaml.Unmarshal(data, &ud); err != nil {
		return nil, fmt.Errorf("cloudinit: parse userdata: %w", err)
	}
	return &ud, nil
}

// File returns the write_files entry for path.
func (ud UserData) File(path string) (File, bool) {
	for _, f := range ud.WriteFiles {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}

// Data returns the file's content decoded according to its Encoding.
func (f File) Data() ([]byte, error) {
	var (
		b   []byte
		err error
	)
	switch strings.ToLower(f.Encoding) {
	case "", "text/plain":
		return []byte(f.Content), nil
	case "b64", "base64":
		b, err = decodeBase64(f.Content)
	case "gz+b64", "gzip+base64", "gz+base64", "gzip+b64":
		b, err = Decode(f.Content, EncodingGzipBase64)
	default:
		return nil, fmt.Errorf("cloudinit: %s: unsupported encoding %q", f.Path, f.Encoding)
	}
	if err != nil {
		return nil, fmt.Errorf("cloudinit: %s: %w", f.Path, err)
	}
	return b, nil
}
