package nodes

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The Kubernetes packages of a node, as the kubeadm documentation installs and
// upgrades them on Ubuntu from the community repositories at pkgs.k8s.io: one
// repository per minor release, named in KubernetesSourcesList, and the packages
// held (apt-mark hold) between upgrades so that no unattended upgrade moves them.
const (
	// KubernetesSourcesList is the node's apt source of the Kubernetes packages.
	// An upgrade to another minor release points its pkgs.k8s.io repository at
	// that release's (the signing key is the same for every release); a source
	// of another kind (a mirror of an air-gapped site) is left as it is.
	KubernetesSourcesList = "/etc/apt/sources.list.d/kubernetes.list"
	// aptTimeout bounds one apt-get command.
	aptTimeout = 5 * time.Minute
)

// pkgsRepo matches a pkgs.k8s.io repository of one minor release in an apt
// source; its second group is the minor ("v1.36").
var pkgsRepo = regexp.MustCompile(`(https://pkgs\.k8s\.io/core:/stable:/)(v[0-9]+\.[0-9]+)(/deb)`)

// packageState is what a node has installed of the Kubernetes packages.
type packageState struct {
	// versions are the installed packages' Kubernetes versions ("v1.36.5"),
	// by package; a package not installed has none.
	versions map[string]string
	// held are the packages on hold.
	held map[string]bool
}

// readPackages asks dpkg-query for the installed versions of the
// Kubernetes packages and apt-mark for the holds.
func readPackages(ctx context.Context, s *Session) (packageState, error) {
	st := packageState{versions: map[string]string{}, held: map[string]bool{}}
	out, err := s.Run(ctx, Command{Line: "dpkg-query -W kubeadm kubelet kubectl"})
	var cmdErr *CommandError
	if err != nil && !(errors.As(err, &cmdErr) && cmdErr.ExitStatus == 1 && strings.Contains(cmdErr.Output, "no packages found matching")) {
		return st, err // unless a package is not installed: the others are listed
	}
	for line := range strings.Lines(string(out.Stdout)) {
		pkg, deb, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && deb != "" {
			st.versions[pkg] = kubeVersionOfPackage(deb)
		}
	}
	out, err = s.Run(ctx, Command{Line: "apt-mark showhold"})
	if err != nil {
		return st, err
	}
	for _, pkg := range strings.Fields(string(out.Stdout)) {
		st.held[pkg] = true
	}
	return st, nil
}

// kubeVersionOfPackage is the Kubernetes version of a package version of
// pkgs.k8s.io: "1.37.2-1.1" is v1.37.2, "1.38.0~rc.1-1.1" v1.38.0-rc.1.
func kubeVersionOfPackage(deb string) string {
	if _, rest, ok := strings.Cut(deb, ":"); ok {
		deb = rest // an epoch
	}
	if i := strings.LastIndex(deb, "-"); i > 0 {
		deb = deb[:i] // the Debian revision
	}
	return "v" + strings.ReplaceAll(deb, "~", "-")
}

// packagePattern is the apt version pattern of Kubernetes version v, any
// Debian revision of it, as the kubeadm documentation writes it ('1.37.2-*').
func packagePattern(v string) string { return strings.TrimPrefix(v, "v") + "-*" }

// minorOf is the minor release of a version: "v1.37" for "v1.37.2".
func minorOf(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// useMinorRepository points the pkgs.k8s.io repository of the node's apt
// source at the repository of minor, if it names another, and returns a
// function that puts the source back as it was (nil when nothing changed).
func useMinorRepository(ctx context.Context, s *Session, minor string) (restore func(context.Context) error, err error) {
	out, err := s.Run(ctx, Command{Line: "sudo test ! -e " + KubernetesSourcesList + " || sudo cat " + KubernetesSourcesList})
	if err != nil {
		return nil, err
	}
	old := string(out.Stdout)
	updated := pkgsRepo.ReplaceAllString(old, "${1}"+minor+"${3}")
	if updated == old {
		return nil, nil // at that release already, or no pkgs.k8s.io source
	}
	write := func(ctx context.Context, content string) error {
		_, err := s.Run(ctx, Command{Line: "sudo tee " + KubernetesSourcesList, Stdin: strings.NewReader(content)})
		return err
	}
	if err := write(ctx, updated); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return write(ctx, old) }, nil
}

// errNoRepository is apt-get update refused the repository of a minor
// release: pkgs.k8s.io has none such.
var errNoRepository = errors.New("no package repository")

// aptUpdate runs apt-get update. A refused repository of minor is
// errNoRepository, wrapped with apt's error lines; an index that could not be
// fetched (apt warns and exits 0) is an error: what the install would find is
// not known.
func aptUpdate(ctx context.Context, s *Session, minor string) error {
	out, err := s.Run(ctx, Command{Line: "sudo apt-get update", Timeout: aptTimeout})
	var cmdErr *CommandError
	switch {
	case errors.As(err, &cmdErr) && repositoryRefused(cmdErr.Output, minor):
		return fmt.Errorf("%w for Kubernetes %s at pkgs.k8s.io (apt-get update on node %s: %s)", errNoRepository, minor, s.node.Node, aptErrors(cmdErr.Output))
	case err != nil:
		return err
	}
	text := Redact(string(out.Stdout)+string(out.Stderr), s.secrets...)
	if strings.Contains(text, "Failed to fetch") || strings.Contains(text, "index files failed to download") {
		return fmt.Errorf("apt-get update on node %s could not fetch every package index: %s", s.node.Node, aptErrors(text))
	}
	return nil
}

// repositoryRefused reports whether apt's output says that the server
// refused the pkgs.k8s.io repository of minor or that it has no release.
func repositoryRefused(output, minor string) bool {
	repo := "pkgs.k8s.io/core:/stable:/" + minor + "/"
	for line := range strings.Lines(output) {
		if strings.Contains(line, repo) && (strings.Contains(line, " 403 ") || strings.Contains(line, " 404 ") ||
			strings.Contains(line, "does not have a Release file")) {
			return true
		}
	}
	return false
}

// aptInstall installs pkgs at Kubernetes version v. A version the
// repositories do not have is a non-retryable ErrTypeVersionUnavailable.
func aptInstall(ctx context.Context, s *Session, v string, pkgs ...string) error {
	line := "sudo apt-get install -y"
	for _, p := range pkgs {
		line += " '" + p + "=" + packagePattern(v) + "'"
	}
	_, err := s.Run(ctx, Command{Line: line, Timeout: aptTimeout})
	var cmdErr *CommandError
	if errors.As(err, &cmdErr) && (strings.Contains(cmdErr.Output, "was not found") || strings.Contains(cmdErr.Output, "Unable to locate package")) {
		return nonRetryable(ErrTypeVersionUnavailable, "%s %s cannot be installed on node %s: %s",
			strings.Join(pkgs, ", "), v, s.node.Node, aptErrors(cmdErr.Output))
	}
	return err
}

// aptMark holds or unholds pkgs ("hold" or "unhold").
func aptMark(ctx context.Context, s *Session, verb string, pkgs ...string) error {
	_, err := s.Run(ctx, Command{Line: "sudo apt-mark " + verb + " " + strings.Join(pkgs, " ")})
	return err
}

// aptErrors are apt's error and warning lines in output (which is redacted),
// or its last line.
func aptErrors(output string) string {
	var lines []string
	for line := range strings.Lines(output) {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "E: ") || strings.HasPrefix(line, "W: ") {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return lastLine(output)
	}
	return strings.Join(lines, "; ")
}
