package node

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// etcdctl and etcdutl run the real etcd tools (built by sim/kubebin) on
// the node's behalf: paths in their flags and arguments are mapped into
// the node's root directory and back in their output, and the node's
// "localhost" (127.0.0.1, where a kubeadm node's etcd also listens) is the
// node's own address, where the simulated etcd listens.

// etcdPathFlags are the flags whose value is a file or directory on the node.
var etcdPathFlags = []string{"--cacert", "--cert", "--key", "--data-dir", "--wal-dir"}

// etcdURLFlags are the flags whose value lists URLs or host:ports.
var etcdURLFlags = []string{"--endpoints", "--initial-advertise-peer-urls", "--initial-cluster"}

// etcdValueFlags are other flags that take a value, which may be the next argument.
var etcdValueFlags = []string{"-w", "--write-out", "--name", "--initial-cluster-token", "--dial-timeout",
	"--command-timeout", "--keepalive-time", "--keepalive-timeout", "--user", "--password", "--bump-revision"}

// etcdPathEnv are etcdctl's environment variables that name files.
var etcdPathEnv = []string{"ETCDCTL_CACERT", "ETCDCTL_CERT", "ETCDCTL_KEY"}

func (sh *shell) etcdctl(cmd command) int { return sh.etcdTool(cmd, "etcdctl") }

func (sh *shell) etcdutl(cmd command) int { return sh.etcdTool(cmd, "etcdutl") }

// etcdTool runs etcdctl or etcdutl with cmd's arguments mapped onto the node.
func (sh *shell) etcdTool(cmd command, tool string) int {
	n := sh.node
	tools, err := kubeproc.FindEtcdTools(n.toolsVersion())
	if err != nil {
		return sh.fail(1, "Error", "%v", err)
	}
	bin := tools.Etcdctl
	if tool == "etcdutl" {
		bin = tools.Etcdutl
	}
	var args []string
	hasEndpoints := false
	snapshotFileNext := false
	for i := 0; i < len(cmd.args); i++ {
		a := cmd.args[i]
		name, value, hasValue := strings.Cut(a, "=")
		isPath, isURL := slices.Contains(etcdPathFlags, name), slices.Contains(etcdURLFlags, name)
		switch {
		case isPath || isURL:
			if !hasValue {
				if i+1 >= len(cmd.args) {
					return sh.fail(1, "Error", "flag needs an argument: %s", name)
				}
				i++
				value = cmd.args[i]
			}
			hasEndpoints = hasEndpoints || name == "--endpoints"
			if isPath {
				p := sh.abs(value)
				if name == "--key" && !sh.readable(cmd, p) {
					return sh.fail(1, "Error", "open %s: permission denied", p)
				}
				if (name == "--data-dir" || name == "--wal-dir") && !sh.mayWrite(cmd, p) {
					return sh.fail(1, "Error", "mkdir %s: permission denied", p)
				}
				value = n.path(p)
			} else {
				value = n.localURLs(value)
			}
			args = append(args, name+"="+value)
		case slices.Contains(etcdValueFlags, name) && !hasValue && i+1 < len(cmd.args):
			args = append(args, a, cmd.args[i+1])
			i++
		case strings.HasPrefix(a, "-"):
			args = append(args, a)
		case len(args) > 0 && args[len(args)-1] == "snapshot":
			args = append(args, a) // save, status, restore
			snapshotFileNext = true
		case snapshotFileNext:
			p := sh.abs(a)
			if args[len(args)-1] == "save" && !sh.mayWrite(cmd, p) {
				return sh.fail(1, "Error", "could not open %s.part (open %s.part: permission denied)", p, p)
			}
			args = append(args, n.path(p))
			snapshotFileNext = false
		default:
			args = append(args, a)
		}
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + n.path(sh.home())}
	for k, v := range cmd.env {
		switch {
		case slices.Contains(etcdPathEnv, k):
			v = n.path(sh.abs(v))
		case k == "ETCDCTL_ENDPOINTS":
			v, hasEndpoints = n.localURLs(v), true
		}
		env = append(env, k+"="+v)
	}
	if tool == "etcdctl" && !hasEndpoints {
		args = append([]string{"--endpoints=" + net.JoinHostPort(n.IP().String(), "2379")}, args...)
	}
	ctx, cancel := context.WithTimeout(sh.ctx, serviceStartTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = env
	c.Dir = n.cfg.RootDir
	c.Stdin = sh.stdin
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err = c.Run()
	// The tools print paths and endpoints as they got them: show the node's.
	root := []byte(n.cfg.RootDir)
	_, _ = sh.stdout.Write(bytes.ReplaceAll(stdout.Bytes(), root, nil))
	_, _ = sh.stderr.Write(bytes.ReplaceAll(stderr.Bytes(), root, nil))
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return exitErr.ExitCode()
	default:
		return sh.fail(126, "bash", "%s: %v", tool, err)
	}
}

// readable reports whether cmd's user may read the node file p.
func (sh *shell) readable(cmd command, p string) bool {
	fi, err := os.Stat(sh.node.path(p))
	return err != nil || mayRead(cmd, fi.Mode()) // a missing file fails in the tool itself
}

// localURLs maps 127.0.0.1 and localhost in a comma-separated list of URLs,
// host:ports or name=URL pairs to the node's address.
func (n *Node) localURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		prefix := ""
		if name, rest, ok := strings.Cut(p, "="); ok {
			prefix, p = name+"=", rest
		}
		if u, err := url.Parse(p); err == nil && u.Host != "" {
			if h := u.Hostname(); h == "127.0.0.1" || h == "localhost" {
				u.Host = net.JoinHostPort(n.IP().String(), u.Port())
			}
			parts[i] = prefix + u.String()
			continue
		}
		if h, port, err := net.SplitHostPort(p); err == nil && (h == "127.0.0.1" || h == "localhost") {
			p = net.JoinHostPort(n.IP().String(), port)
		}
		parts[i] = prefix + p
	}
	return strings.Join(parts, ",")
}

// toolsVersion is the Kubernetes version whose binaries the node's tools
// come from: its control plane's, else its kubelet's.
func (n *Node) toolsVersion() string {
	if cfg, ok, err := n.staticPodConfig(); err == nil && ok && cfg.Version != "" {
		return cfg.Version
	}
	if p, err := n.installedPackages(); err == nil {
		return kubeVersion(p.Kubelet)
	}
	if avail := availableVersions(); len(avail) > 0 {
		return avail[len(avail)-1]
	}
	return ""
}
