package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	utilversion "k8s.io/apimachinery/pkg/util/version"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// The Kubernetes packages of the simulated Ubuntu node, as apt installs
// them from pkgs.k8s.io: a package version like "1.35.1-1.1" is
// Kubernetes v1.35.1. The versions that can be installed are those whose
// binaries are built in the kubebin cache (see kubeproc.CacheDir), of the
// minor releases whose repositories the node's apt source names.
//
// pkgs.k8s.io has one repository per minor release, and the node's
// /etc/apt/sources.list.d/kubernetes.list names the one it installs from
// (the install guide's line, "deb [signed-by=...]
// https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /"): an upgrade to the next
// minor rewrites it first, as the kubeadm upgrade guide says. A node without
// that file (the simulator does not write it at boot) may install every
// cached version. A repository of a minor release that is not in the cache
// fails apt-get update as pkgs.k8s.io does for a release that does not exist.

// packagesPath stands for dpkg's status database: the installed versions
// of the Kubernetes packages and the packages on hold.
const packagesPath = "/var/lib/dpkg/kubernetes-packages.json"

// kubernetesSourcesPath is the apt source of the Kubernetes packages.
const kubernetesSourcesPath = "/etc/apt/sources.list.d/kubernetes.list"

// pkgsRepo matches a pkgs.k8s.io repository of one minor release in an apt
// source line; its group is the minor ("v1.36").
var pkgsRepo = regexp.MustCompile(`https://pkgs\.k8s\.io/core:/stable:/(v[0-9]+\.[0-9]+)/deb/?`)

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

// aptSourceMinors returns the minor releases whose pkgs.k8s.io
// repositories the node's apt source names, in its order; ok is false when
// the node has no Kubernetes apt source (every cached version installs).
func (n *Node) aptSourceMinors() (minors []string, ok bool, err error) {
	b, err := os.ReadFile(n.path(kubernetesSourcesPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "deb ") {
			continue // comments, deb-src
		}
		if m := pkgsRepo.FindStringSubmatch(line); m != nil && !slices.Contains(minors, m[1]) {
			minors = append(minors, m[1])
		}
	}
	return minors, true, nil
}

// installableVersions lists the versions apt can install on the node,
// oldest first: the cached ones of the minors its apt source names.
func (n *Node) installableVersions() ([]string, error) {
	avail := availableVersions()
	minors, ok, err := n.aptSourceMinors()
	if err != nil || !ok {
		return avail, err
	}
	return slices.DeleteFunc(avail, func(v string) bool { return !slices.Contains(minors, minorOf(v)) }), nil
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
	allowDowngrades := slices.Contains(cmd.args, "--allow-downgrades")
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
		return sh.aptGetUpdate()
	case "install":
	default:
		return sh.fail(100, "E", "Invalid operation %s", args[0])
	}
	p, err := sh.node.installedPackages()
	if err != nil {
		return sh.fail(100, "E", "%v", err)
	}
	fmt.Fprintln(sh.stdout, "Reading package lists...\nBuilding dependency tree...\nReading state information...")
	avail, err := sh.node.installableVersions()
	if err != nil {
		return sh.fail(100, "E", "%v", err)
	}
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
	if downgraded > 0 && !allowDowngrades {
		return sh.fail(100, "E", "Packages were downgraded and -y was used without --allow-downgrades.")
	}
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

// aptGetUpdate does `apt-get update`: the repositories of the node's apt
// source, each a hit when its minor release is in the cache and refused by
// pkgs.k8s.io (403) when it is not, as for a release that does not exist.
func (sh *shell) aptGetUpdate() int {
	minors, ok, err := sh.node.aptSourceMinors()
	if err != nil {
		return sh.fail(100, "E", "%v", err)
	}
	avail := availableVersions()
	if !ok {
		for _, v := range avail {
			if !slices.Contains(minors, minorOf(v)) {
				minors = append(minors, minorOf(v))
			}
		}
	}
	var missing []string
	for i, m := range minors {
		repo := "https://pkgs.k8s.io/core:/stable:/" + m + "/deb"
		if slices.ContainsFunc(avail, func(v string) bool { return minorOf(v) == m }) {
			fmt.Fprintf(sh.stdout, "Hit:%d %s  InRelease\n", i+1, repo)
			continue
		}
		fmt.Fprintf(sh.stdout, "Err:%d %s  InRelease\n  403  Forbidden [IP: %s 443]\n", i+1, repo, pkgsMirrorIP)
		missing = append(missing, repo)
	}
	fmt.Fprintln(sh.stdout, "Reading package lists...")
	for _, repo := range missing {
		fmt.Fprintf(sh.stderr, "E: Failed to fetch %s/InRelease  403  Forbidden [IP: %s 443]\n", repo, pkgsMirrorIP)
		fmt.Fprintf(sh.stderr, "E: The repository '%s  InRelease' is not signed.\n", repo)
		fmt.Fprintln(sh.stderr, "N: Updating from such a repository can't be done securely, and is therefore disabled by default.")
		fmt.Fprintln(sh.stderr, "N: See apt-secure(8) manpage for repository creation and user configuration details.")
	}
	if len(missing) > 0 {
		return 100
	}
	return 0
}

// pkgsMirrorIP is the address pkgs.k8s.io answers from in apt's messages.
const pkgsMirrorIP = "146.75.118.132"

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

// dpkgQuery does `dpkg-query -W|--show [-f FORMAT|--showformat=FORMAT]
// [PACKAGE...]` for the Kubernetes packages: one line per installed package
// matching a pattern (all without one), in dpkg's default format
// "${binary:Package}\t${Version}\n" unless told another.
func (sh *shell) dpkgQuery(cmd command) int {
	format, show := "${binary:Package}\\t${Version}\\n", false
	var patterns []string
	for i := 0; i < len(cmd.args); i++ {
		a := cmd.args[i]
		name, value, hasValue := cutFlag(a)
		switch {
		case a == "-W" || a == "--show":
			show = true
		case a == "-f" || name == "--showformat":
			if !hasValue {
				if i+1 >= len(cmd.args) {
					return sh.fail(2, "dpkg-query: error", "--showformat needs a value\n\nType dpkg-query --help for help about querying packages.")
				}
				i++
				value = cmd.args[i]
			}
			format = value
		case strings.HasPrefix(a, "-f"):
			format = a[2:]
		case strings.HasPrefix(a, "-"):
			return sh.fail(2, "dpkg-query: error", "unknown option %s\n\nType dpkg-query --help for help about querying packages.", a)
		default:
			patterns = append(patterns, a)
		}
	}
	if !show {
		return sh.fail(2, "dpkg-query: error", "need an action option\n\nType dpkg-query --help for help about querying packages.")
	}
	p, err := sh.node.installedPackages()
	if err != nil {
		return sh.fail(2, "dpkg-query: error", "%v", err)
	}
	if len(patterns) == 0 {
		patterns = []string{"*"}
	}
	status := 0
	for _, pat := range patterns {
		found := false
		for _, pkg := range kubePackages {
			if ok, _ := path.Match(pat, pkg); ok {
				found = true
				fmt.Fprint(sh.stdout, dpkgFormat(format, pkg, *p.version(pkg)))
			}
		}
		if !found {
			fmt.Fprintf(sh.stderr, "dpkg-query: no packages found matching %s\n", pat)
			status = 1
		}
	}
	return status
}

// dpkgFields matches the ${field} references of a dpkg-query format.
var dpkgFields = regexp.MustCompile(`\$\{([^}]*)\}`)

// dpkgFormat expands a dpkg-query format for an installed package: its
// fields (unknown ones are empty, as dpkg-query prints them) and the
// backslash escapes \n, \t and \\.
func dpkgFormat(format, pkg, version string) string {
	fields := map[string]string{
		"Package": pkg, "binary:Package": pkg, "Version": version, "Architecture": "amd64",
		"Status": "install ok installed", "db:Status-Abbrev": "ii ",
	}
	out := dpkgFields.ReplaceAllStringFunc(format, func(ref string) string {
		return fields[dpkgFields.FindStringSubmatch(ref)[1]]
	})
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`).Replace(out)
}
