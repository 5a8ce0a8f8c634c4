package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/clusterwright/clusterwright/cloudinit"
)

// Paths on the node, as a kubeadm node lays them out.
const (
	kubernetesDir       = "/etc/kubernetes"
	defaultCertDir      = "/etc/kubernetes/pki"
	kubeletConfPath     = "/etc/kubernetes/kubelet.conf"
	bootstrapKubeletCnf = "/etc/kubernetes/bootstrap-kubelet.conf"
	adminConfPath       = "/etc/kubernetes/admin.conf"
	superAdminConfPath  = "/etc/kubernetes/super-admin.conf"
	defaultEtcdDataDir  = "/var/lib/etcd"
	componentLogDir     = "/var/log/kubernetes"
	componentRunDir     = "/var/run/kubernetes"
	// The static Pod manifests in /etc/kubernetes/manifests, which the
	// kubelet runs, are described in static_pods.go.
	// kubeletConfigPath stands for /var/lib/kubelet/config.yaml and
	// kubeadm-flags.env: how the kubelet runs.
	kubeletConfigPath = "/var/lib/kubelet/config.json"
	// cloudInstancesDir is where cloud-init records the instances it ran for.
	cloudInstancesDir = "/var/lib/cloud/instances"
)

// path maps an absolute path on the node to the host.
func (n *Node) path(p string) string {
	return filepath.Join(n.cfg.RootDir, filepath.FromSlash(path.Clean("/"+p)))
}

// writeFiles does cloud-init's write_files: every entry, with its mode,
// under the root directory. Owners are not set (the simulator is no root).
func (n *Node) writeFiles() error {
	for _, f := range n.files {
		data, err := f.Data()
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if f.Permissions != "" {
			m, err := strconv.ParseUint(f.Permissions, 8, 32)
			if err != nil {
				return fmt.Errorf("write_files %s: permissions %q: %w", f.Path, f.Permissions, err)
			}
			mode = fs.FileMode(m)
		}
		dst := n.path(f.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write_files %s: %w", f.Path, err)
		}
		if err := os.WriteFile(dst, data, mode); err != nil {
			return fmt.Errorf("write_files %s: %w", f.Path, err)
		}
		if err := os.Chmod(dst, mode); err != nil { // WriteFile keeps the mode of an existing file
			return fmt.Errorf("write_files %s: %w", f.Path, err)
		}
	}
	return writeFile(n.path("/etc/hostname"), []byte(n.spec.Hostname+"\n"), 0o644)
}

// instanceDir is cloud-init's directory for this instance.
func (n *Node) instanceDir() string {
	return n.path(path.Join(cloudInstancesDir, n.spec.InstanceID))
}

// cloudInitDone reports whether cloud-init has run for this instance, so
// that its per-instance modules (write_files, runcmd) do not run again.
func (n *Node) cloudInitDone() bool {
	_, err := os.Stat(filepath.Join(n.instanceDir(), "boot-finished"))
	return err == nil
}

// markCloudInitDone records that cloud-init ran for this instance, with the
// result of its runcmd (kubeadm).
func (n *Node) markCloudInitDone(result error) error {
	msg := "ok\n"
	if result != nil {
		msg = "runcmd failed: " + result.Error() + "\n"
	}
	return writeFile(filepath.Join(n.instanceDir(), "boot-finished"), []byte(msg), 0o644)
}

// writeFile writes data, creating the parent directories.
func writeFile(path string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return nil
}

// writeJSON writes v as JSON, readable by its owner only.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'), 0o600)
}

// readJSON reads v from a JSON file; it reports false if there is none.
func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// nodeName is the Node name kubeadm registers: nodeRegistration.name or the
// host name.
func nodeName(reg cloudinit.NodeRegistrationOptions, hostname string) string {
	if reg.Name != "" {
		return reg.Name
	}
	return hostname
}
