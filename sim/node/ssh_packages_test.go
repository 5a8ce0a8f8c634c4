package node

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// packagesShell is a shell on a node that is never booted, whose Kubernetes
// packages are at version installed, with a kubebin cache of fake binaries
// of the versions cached.
func packagesShell(t *testing.T, installed string, cached ...string) (run func(line string) result, n *Node) {
	t.Helper()
	cache := t.TempDir()
	for _, v := range cached {
		for _, bin := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
			if err := writeFile(filepath.Join(cache, v, bin), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv(kubeproc.EnvCacheDir, cache)
	n = &Node{cfg: Config{RootDir: t.TempDir()}, spec: &cloudinit.Node{NodeSpec: cloudinit.NodeSpec{Hostname: "pkgs", SSHUser: cloudinit.DefaultSSHUser}}, log: slog.New(slog.DiscardHandler)}
	d := debVersion(installed)
	if err := writeJSON(n.path(packagesPath), packages{Kubeadm: d, Kubelet: d, Kubectl: d, Held: kubePackages}); err != nil {
		t.Fatal(err)
	}
	var admin sync.Mutex
	return func(line string) result {
		var stdout, stderr bytes.Buffer
		sh := &shell{node: n, ctx: context.Background(), admin: &admin, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
		status := sh.runLine(line)
		return result{stdout: stdout.String(), stderr: stderr.String(), status: status}
	}, n
}

// TestAptSources checks dpkg-query and that apt installs from the
// pkgs.k8s.io repositories of the node's apt source only: an upgrade to the
// next minor switches the repository first; a repository of a release that
// does not exist fails apt-get update; a downgrade needs --allow-downgrades.
func TestAptSources(t *testing.T) {
	run, n := packagesShell(t, "v1.36.5", "v1.36.5", "v1.37.2")
	check := func(line string, status int, stdout, stderr string) {
		t.Helper()
		r := run(line)
		if r.status != status || (stdout != "" && !strings.Contains(r.stdout, stdout)) || (stderr != "" && !strings.Contains(r.stderr, stderr)) {
			t.Errorf("%s: %v; want status %d, stdout with %q, stderr with %q", line, r, status, stdout, stderr)
		}
	}
	check("dpkg-query -W kubeadm kubelet kubectl", 0, "kubeadm\t1.36.5-1.1\nkubelet\t1.36.5-1.1\nkubectl\t1.36.5-1.1\n", "")
	check("dpkg-query --show --showformat='${Package} ${Version} ${db:Status-Abbrev}\\n' 'kube*'", 0,
		"kubeadm 1.36.5-1.1 ii \nkubectl 1.36.5-1.1 ii \nkubelet 1.36.5-1.1 ii \n", "")
	check("dpkg-query -W kubelet nosuch", 1, "kubelet\t1.36.5-1.1\n", "dpkg-query: no packages found matching nosuch\n")
	check("dpkg-query kubelet", 2, "", "need an action option")

	// No apt source: every cached version.
	check("sudo apt-get update", 0, "Hit:2 https://pkgs.k8s.io/core:/stable:/v1.37/deb  InRelease", "")

	sources := n.path(kubernetesSourcesPath)
	write := func(minor string) {
		t.Helper()
		line := "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/" + minor + "/deb/ /\n"
		if err := writeFile(sources, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("v1.36")
	if r := run("sudo apt-get update"); r.status != 0 || strings.Contains(r.stdout, "v1.37") || !strings.Contains(r.stdout, "Hit:1 https://pkgs.k8s.io/core:/stable:/v1.36/deb  InRelease") {
		t.Errorf("update from the v1.36 repository: %v", r)
	}
	check("sudo apt-mark unhold kubeadm && sudo apt-get install -y 'kubeadm=1.37.2-*'", 100, "", "E: Version '1.37.2-*' for 'kubeadm' was not found\n")

	write("v1.99")
	check("sudo apt-get update", 100, "Err:1 https://pkgs.k8s.io/core:/stable:/v1.99/deb  InRelease\n  403  Forbidden",
		"E: The repository 'https://pkgs.k8s.io/core:/stable:/v1.99/deb  InRelease' is not signed.\n")

	write("v1.37")
	check("sudo apt-get update && sudo apt-get install -y 'kubeadm=1.37.2-*'", 0, "Setting up kubeadm (1.37.2-1.1) ...", "")
	check("dpkg-query -W -f '${Version}' kubeadm", 0, "1.37.2-1.1", "")
	check("sudo apt-get install -y kubeadm=1.36.5-1.1", 100, "", "E: Version '1.36.5-1.1' for 'kubeadm' was not found\n")
	write("v1.36")
	check("sudo apt-get install -y kubeadm=1.36.5-1.1", 100, "0 upgraded, 0 newly installed, 1 downgraded",
		"E: Packages were downgraded and -y was used without --allow-downgrades.\n")
	check("sudo apt-get install -y --allow-downgrades kubeadm=1.36.5-1.1", 0, "Setting up kubeadm (1.36.5-1.1) ...", "")
	if b, err := os.ReadFile(n.path(packagesPath)); err != nil || !strings.Contains(string(b), `"kubeadm": "1.36.5-1.1"`) {
		t.Errorf("packages after the downgrade: %s, %v", b, err)
	}
}
