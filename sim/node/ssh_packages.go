package node

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	utilversion "k8s.io/apimachinery/pkg/util/version"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// The Kubernetes packages of the simulated Ubuntu node, as apt installs
// them from pkgs.k8s.io: a package version like "1.35.1-1.1" is
// Kubernetes v1.35.1. The versions that can be installed are those whose
// binaries are built in the kubebin cache (see kubeproc.CacheDir).

// packagesPath stands for dpkg's status database: the installed versions
// of the Kubernetes packages and the packages on hold.
const packagesPath = "/var/lib/dpkg/kubernetes-packages.json"

// debRevision is the Debian revision of pkgs.k8s.io's packages.
const debRevision = "-1.1"

// kubePackages are the packages the node knows.
var kubePackages = []string{"kubeadm", "kubectl", "kubelet"}

// packages are the installed Kubernetes packages.
type packages struct {
	Kubeadm string   `json:"kubeadm"`
	Kubelet string   `json:"kubelet"`
	Kubectl string   `json:"kubectl"`
	Held    []string `json:"held,omitempty"`
}

// version returns the installed version of pkg.
func (p *packages) version(pkg string) *string {
	switch pkg {
	case "kubeadm":
		return &p.Kubeadm
	case "kubelet":
		return &p.Kubelet
	case "kubectl":
		return &p.Kubectl
	}
	return nil
}

// debVersion is the package version of Kubernetes version v ("v1.35.1").
func debVersion(v string) string { return strings.TrimPrefix(v, "v") + debRevision }

// kubeVersion is the Kubernetes version of package version deb.
func kubeVersion(deb string) string {
	v, _, _ := strings.Cut(deb, "-")
	return "v" + v
}

// installedPackages reads what is installed; a node that never ran apt has
// the packages of the version it was bootstrapped with (the template's).
func (n *Node) installedPackages() (packages, error) {
	var p packages
	ok, err := readJSON(n.path(packagesPath), &p)
	if err != nil || ok {
		return p, err
	}
	var kc kubeletConfig
	ok, err = readJSON(n.path(kubeletConfigPath), &kc)
	if err != nil {
		return p, err
	}
	v := kc.Version
	if !ok {
		if n.spec.Kubeadm.Cluster == nil {
			return p, fmt.Errorf("the Kubernetes packages' version is unknown before kubeadm join")
		}
		v = n.spec.Kubeadm.Cluster.KubernetesVersion
	}
	d := debVersion(v)
	return packages{Kubeadm: d, Kubelet: d, Kubectl: d}, nil
}

// availableVersions lists the Kubernetes versions whose binaries are in
// the kubebin cache, oldest first: the versions apt can install.
func availableVersions() []string {
	dir, err := kubeproc.CacheDir()
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || parseVersion(e.Name()) == nil {
			continue
		}
		if _, err := kubeproc.Binaries(e.Name()); err == nil {
			out = append(out, e.Name())
		}
	}
	slices.SortFunc(out, compareVersions)
	return out
}

// parseVersion parses a Kubernetes version like "v1.35.1"; nil if it is none.
func parseVersion(v string) *utilversion.Version {
	if !strings.HasPrefix(v, "v") {
		return nil
	}
	parsed, err := utilversion.ParseSemantic(v)
	if err != nil {
		return nil
	}
	return parsed
}

// compareVersions orders two valid Kubernetes versions.
func compareVersions(a, b string) int {
	c, err := parseVersion(a).Compare(b)
	if err != nil {
		return strings.Compare(a, b)
	}
	return c
}

// minorOf is the minor release of a valid version ("v1.35" for "v1.35.1").
func minorOf(v string) string {
	p := parseVersion(v)
	return fmt.Sprintf("v%d.%d", p.Major(), p.Minor())
}

// aptGet does `apt-get update` and `apt-get install [-y] PKG[=VERSION]...`.
func (sh *shell) aptGet(cmd command) int {
	_, args := splitFlags(cmd.args)
	allowHeld := slices.Contains(cmd.args, "--allow-change-held-packages")
	if len(args) == 0 {
		return sh.fail(100, "E", "Invalid operation")
	}
	if !cmd.root {
		fmt.Fprintln(sh.stderr, "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)")
		fmt.Fprintln(sh.stderr, "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?")
		return 100
	}
	switch args[0] {
	case "update":
		avail := availableVersions()
		for i, v := range avail {
			fmt.Fprintf(sh.stdout, "Hit:%d https://pkgs.k8s.io/core:/stable:/%s/deb  InRelease\n", i+1, minorOf(v))
		}
		fmt.Fprintln(sh.stdout, "Reading package lists...")
		return 0
	case "install":
	default:
		return sh.fail(100, "E", "Invalid operation %s", args[0])
	}
	p, err := sh.node.installedPackages()
	if err != nil {
		return sh.fail(100, "E", "%v", err)
	}
	fmt.Fprintln(sh.stdout, "Reading package lists...\nBuilding dependency tree...\nReading state information...")
	avail := availableVersions()
	type change struct{ pkg, from, to string }
	var changes []change
	for _, arg := range args[1:] {
		pkg, want, pinned := strings.Cut(arg, "=")
		installed := p.version(pkg)
		if installed == nil {
			return sh.fail(100, "E", "Unable to locate package %s", pkg)
		}
		var to string
		for _, v := range avail {
			d := debVersion(v)
			if ok, _ := path.Match(want, d); !pinned || ok {
				to = d // the newest match
			}
		}
		if to == "" {
			return sh.fail(100, "E", "Version '%s' for '%s' was not found", want, pkg)
		}
		if to == *installed {
			fmt.Fprintf(sh.stdout, "%s is already the newest version (%s).\n", pkg, to)
			continue
		}
		if slices.Contains(p.Held, pkg) && !allowHeld {
			return sh.fail(100, "E", "Held packages were changed and -y was used without --allow-change-held-packages.")
		}
		changes = append(changes, change{pkg, *installed, to})
	}
	upgraded, downgraded := 0, 0
	for _, c := range changes {
		if compareVersions(kubeVersion(c.to), kubeVersion(c.from)) < 0 {
			downgraded++
		} else {
			upgraded++
		}
	}
	fmt.Fprintf(sh.stdout, "%d upgraded, 0 newly installed, %d downgraded, 0 to remove and 0 not upgraded.\n", upgraded, downgraded)
	for _, c := range changes {
		fmt.Fprintf(sh.stdout, "Preparing to unpack .../%s_%s_amd64.deb ...\nUnpacking %s (%s) over (%s) ...\n", c.pkg, c.to, c.pkg, c.to, c.from)
		*p.version(c.pkg) = c.to
	}
	for _, c := range changes {
		fmt.Fprintf(sh.stdout, "Setting up %s (%s) ...\n", c.pkg, c.to)
	}
	if err := writeJSON(sh.node.path(packagesPath), p); err != nil {
		return sh.fail(100, "E", "Sub-process /usr/bin/dpkg returned an error code (1): %v", err)
	}
	return 0
}

// aptMark does `apt-mark hold|unhold|showhold PKG...`.
func (sh *shell) aptMark(cmd command) int {
	if len(cmd.args) == 0 {
		return sh.fail(100, "E", "No operation specified")
	}
	p, err := sh.node.installedPackages()
	if err != nil {
		return sh.fail(100, "E", "%v", err)
	}
	verb, pkgs := cmd.args[0], cmd.args[1:]
	switch verb {
	case "showhold":
		for _, h := range p.Held {
			fmt.Fprintln(sh.stdout, h)
		}
		return 0
	case "hold", "unhold":
	default:
		return sh.fail(100, "E", "Invalid operation %s", verb)
	}
	if !cmd.root {
		return sh.fail(100, "E", "Could not open lock file /var/lib/dpkg/lock - open (13: Permission denied)")
	}
	for _, pkg := range pkgs {
		if p.version(pkg) == nil {
			return sh.fail(100, "E", "Unable to locate package %s", pkg)
		}
		held := slices.Contains(p.Held, pkg)
		switch {
		case verb == "hold" && held:
			fmt.Fprintf(sh.stdout, "%s was already set on hold.\n", pkg)
		case verb == "hold":
			p.Held = append(p.Held, pkg)
			fmt.Fprintf(sh.stdout, "%s set on hold.\n", pkg)
		case held:
			p.Held = slices.DeleteFunc(p.Held, func(h string) bool { return h == pkg })
			fmt.Fprintf(sh.stdout, "Canceled hold on %s.\n", pkg)
		default:
			fmt.Fprintf(sh.stdout, "%s was already not on hold.\n", pkg)
		}
	}
	if err := writeJSON(sh.node.path(packagesPath), p); err != nil {
		return sh.fail(100, "E", "%v", err)
	}
	return 0
}

// kubelet answers `kubelet --version` with the installed package's version.
func (sh *shell) kubelet(cmd command) int {
	if len(cmd.args) != 1 || cmd.args[0] != "--version" {
		return sh.fail(1, "kubelet", "the simulated node runs the kubelet as a service; only `kubelet --version` is supported")
	}
	p, err := sh.node.installedPackages()
	if err != nil {
		return sh.fail(1, "kubelet", "%v", err)
	}
	fmt.Fprintf(sh.stdout, "Kubernetes %s\n", kubeVersion(p.Kubelet))
	return 0
}
