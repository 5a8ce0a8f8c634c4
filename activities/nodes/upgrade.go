package nodes

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	utilversion "k8s.io/apimachinery/pkg/util/version"
)

// UpgradeNodeInput says which node to upgrade to which Kubernetes version.
type UpgradeNodeInput struct {
	Node NodeRef `json:"node"`
	// Version is the Kubernetes version, like "v1.37.2".
	Version string `json:"version"`
	// Apply is set on the first control plane, which runs `kubeadm upgrade
	// apply` (the cluster's version, its configuration and add-ons); the
	// others run `kubeadm upgrade node`.
	Apply bool `json:"apply"`
	// ControlPlane is set when the node runs a control plane.
	ControlPlane bool `json:"control_plane"`
}

// UpgradeNodeResult is how an upgrade left the node.
type UpgradeNodeResult struct {
	// KubeletVersion is the installed kubelet's version (kubelet --version),
	// which the restarted kubelet runs.
	KubeletVersion string `json:"kubelet_version"`
	// Changed says whether anything was done; false when the node was at
	// the version already.
	Changed bool `json:"changed"`
}

// Timing of UpgradeNode.
const (
	// UpgradeNodeTimeout is the start-to-close timeout workflows give
	// UpgradeNode: a control plane's upgrade pulls four images and restarts
	// four static Pods, each waited for by kubeadm (up to 5 minutes each on a
	// slow node), besides the packages and the kubelet.
	UpgradeNodeTimeout = 30 * time.Minute
	// kubeadmUpgradeTimeout bounds `kubeadm upgrade apply|node`.
	kubeadmUpgradeTimeout = 20 * time.Minute
	// kubeletRestartTimeout bounds `systemctl restart kubelet`.
	kubeletRestartTimeout = 5 * time.Minute
)

// UpgradeStateDir holds the marks of UpgradeNode's steps that began on a node
// and did not finish, so that a rerun after a crash does them again: one for a
// `kubeadm upgrade` to a version, one for a kubelet installed but not restarted.
const UpgradeStateDir = "/var/lib/clusterwright/upgrade"

// Marks in UpgradeStateDir.
const (
	// markKubeadmUpgrade + "." + version: kubeadm upgrade to version began.
	markKubeadmUpgrade = "kubeadm-upgrade"
	// markKubeletRestart: the kubelet package changed; the kubelet is to be restarted.
	markKubeletRestart = "kubelet-restart"
)

// kubeVersionPattern is a Kubernetes release version.
var kubeVersionPattern = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// apiServerImage finds the version of the kube-apiserver image in its
// static Pod manifest.
var apiServerImage = regexp.MustCompile(`(?m)^\s*image:\s*["']?[^\s"']*/kube-apiserver:(v[^\s"'@]+)`)

// check checks the input before any node is dialed.
func (in UpgradeNodeInput) check() error {
	if err := in.Node.check(); err != nil {
		return err
	}
	if !kubeVersionPattern.MatchString(in.Version) {
		return nonRetryable(ErrTypeInvalidInput, "Kubernetes version %q is not a release version like v1.37.2", in.Version)
	}
	if in.Apply && !in.ControlPlane {
		return nonRetryable(ErrTypeInvalidInput, "node %s: kubeadm upgrade apply runs on a control plane only", in.Node.Node)
	}
	return nil
}

// UpgradeNode upgrades a node's Kubernetes to in.Version the way the kubeadm
// upgrade guide does on Ubuntu with the pkgs.k8s.io packages:
//
//  1. kubeadm: the apt source pointed at the version's minor release
//     (KubernetesSourcesList), apt-mark unhold kubeadm, apt-get update,
//     apt-get install -y kubeadm='1.37.2-*', apt-mark hold kubeadm;
//  2. `kubeadm upgrade apply -y v1.37.2` on the first control plane (Apply),
//     `kubeadm upgrade node` on the others, control planes and workers;
//  3. kubelet and kubectl: apt-mark unhold, apt-get install -y, apt-mark hold;
//  4. systemctl daemon-reload and systemctl restart kubelet.
//
// Draining the node before the call and uncordoning it after is the caller's,
// and so is the order: the first control plane, the others, then the workers
// (a kubelet must not be newer than the API servers; on a worker nothing
// checks it, while a further control plane whose `kubeadm upgrade node` finds
// the cluster at an older version is refused).
// Each step first checks whether it is done (the installed versions and holds,
// the control plane's version in its kube-apiserver manifest, the marks in
// UpgradeStateDir of a step begun and not finished) and is skipped if so, so
// the activity can be retried after a crash at any point; Changed says whether
// anything was done. A version whose packages do not exist is a non-retryable
// ErrTypeVersionUnavailable; kubeadm's version policy refusing the upgrade, a
// node newer than the version, and a further control plane upgraded before the
// first are a non-retryable ErrTypeUpgradeRefused.
func (a *Activities) UpgradeNode(ctx context.Context, in UpgradeNodeInput) (UpgradeNodeResult, error) {
	if err := in.check(); err != nil {
		return UpgradeNodeResult{}, err
	}
	var res UpgradeNodeResult
	err := a.withSession(ctx, in.Node, func(s *Session) error {
		u := &nodeUpgrade{s: s, in: in}
		var err error
		res, err = u.run(ctx)
		return err
	})
	return res, err
}

// nodeUpgrade is the state of one UpgradeNode.
type nodeUpgrade struct {
	s  *Session
	in UpgradeNodeInput

	pkgs packageState
	// controlPlane is the version of the node's control plane ("" on workers).
	controlPlane string
	// marks are the names in UpgradeStateDir.
	marks map[string]bool
	// aptReady is set once the apt source and indexes are up to date.
	aptReady bool
	changed  bool
}

func (u *nodeUpgrade) run(ctx context.Context) (UpgradeNodeResult, error) {
	s, target := u.s, u.in.Version
	progress(ctx, s, "reading what node %s has installed", s.node.Node)
	if err := u.readState(ctx); err != nil {
		return UpgradeNodeResult{}, err
	}
	if err := u.refuseDowngrade(); err != nil {
		return UpgradeNodeResult{}, err
	}
	for _, step := range []func(context.Context) error{u.installKubeadm, u.kubeadmUpgrade, u.installKubelet, u.restartKubelet} {
		if err := step(ctx); err != nil {
			return UpgradeNodeResult{}, err
		}
	}
	out, err := s.Run(ctx, Command{Line: "kubelet --version"})
	if err != nil {
		return UpgradeNodeResult{}, err
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out.Stdout)), "Kubernetes ")
	if v != target {
		return UpgradeNodeResult{}, fmt.Errorf("node %s: kubelet --version says %q after the upgrade to %s", s.node.Node, Redact(head(out.Stdout, 200)), target)
	}
	if u.changed {
		progress(ctx, s, "node %s upgraded to %s", s.node.Node, target)
	}
	return UpgradeNodeResult{KubeletVersion: v, Changed: u.changed}, nil
}

// readState reads the installed packages, the marks and the control
// plane's version; manifests an interrupted restart left held go back first.
func (u *nodeUpgrade) readState(ctx context.Context) error {
	s := u.s
	if u.in.ControlPlane {
		held, err := heldComponents(ctx, s)
		if err != nil {
			return err
		}
		if len(held) > 0 {
			if err := releaseManifests(ctx, s, held...); err != nil {
				return err
			}
			u.changed = true
		}
		if u.controlPlane, err = controlPlaneVersion(ctx, s); err != nil {
			return err
		}
	}
	var err error
	if u.pkgs, err = readPackages(ctx, s); err != nil {
		return err
	}
	if _, err := s.Run(ctx, Command{Line: "sudo mkdir -p " + UpgradeStateDir}); err != nil {
		return err
	}
	u.marks, err = listDir(ctx, s, UpgradeStateDir)
	return err
}

// refuseDowngrade refuses a node that runs a newer version than the target.
func (u *nodeUpgrade) refuseDowngrade() error {
	target := utilversion.MustParseSemantic(u.in.Version)
	for _, what := range []struct{ name, version string }{
		{"kubeadm", u.pkgs.versions["kubeadm"]}, {"kubelet", u.pkgs.versions["kubelet"]}, {"control plane", u.controlPlane},
	} {
		v, err := utilversion.ParseSemantic(what.version)
		if err == nil && v.GreaterThan(target) {
			return nonRetryable(ErrTypeUpgradeRefused, "node %s: its %s is at %s, newer than %s: Kubernetes is not downgraded",
				u.s.node.Node, what.name, what.version, u.in.Version)
		}
	}
	return nil
}

// prepareApt points the apt source at the target's minor release and runs
// apt-get update, once. A release pkgs.k8s.io has no repository for puts
// the source back and is ErrTypeVersionUnavailable.
func (u *nodeUpgrade) prepareApt(ctx context.Context) error {
	if u.aptReady {
		return nil
	}
	s, minor := u.s, minorOf(u.in.Version)
	restore, err := useMinorRepository(ctx, s, minor)
	if err != nil {
		return err
	}
	if restore != nil {
		u.changed = true
	}
	err = aptUpdate(ctx, s, minor)
	if errors.Is(err, errNoRepository) {
		if restore != nil {
			if rerr := restore(ctx); rerr != nil {
				s.log.Warn("the apt source could not be put back", "err", rerr)
			}
		}
		return nonRetryable(ErrTypeVersionUnavailable, "Kubernetes %s cannot be installed on node %s: %v", u.in.Version, s.node.Node, err)
	}
	if err != nil {
		return err
	}
	u.aptReady = true
	return nil
}

// install unholds, installs and holds pkgs at the target version; a failed
// install leaves them held as they were.
func (u *nodeUpgrade) install(ctx context.Context, pkgs ...string) error {
	if err := u.prepareApt(ctx); err != nil {
		return err
	}
	s := u.s
	if err := aptMark(ctx, s, "unhold", pkgs...); err != nil {
		return err
	}
	if err := aptInstall(ctx, s, u.in.Version, pkgs...); err != nil {
		if herr := aptMark(ctx, s, "hold", pkgs...); herr != nil {
			s.log.Warn("the packages could not be held again", "packages", pkgs, "err", herr)
		}
		return err
	}
	for _, p := range pkgs {
		u.pkgs.versions[p] = u.in.Version
	}
	return nil
}

// installKubeadm is step 1: kubeadm at the target version, held.
func (u *nodeUpgrade) installKubeadm(ctx context.Context) error {
	s, target := u.s, u.in.Version
	if u.pkgs.versions["kubeadm"] == target && u.pkgs.held["kubeadm"] {
		return nil
	}
	if u.pkgs.versions["kubeadm"] != target {
		progress(ctx, s, "installing kubeadm %s on node %s", target, s.node.Node)
		if err := u.install(ctx, "kubeadm"); err != nil {
			return err
		}
	}
	if err := aptMark(ctx, s, "hold", "kubeadm"); err != nil {
		return err
	}
	u.changed = true
	out, err := s.Run(ctx, Command{Line: "kubeadm version -o short"})
	if err != nil {
		return err
	}
	if v := strings.TrimSpace(string(out.Stdout)); v != target {
		return fmt.Errorf("node %s: kubeadm version says %q after installing kubeadm %s", s.node.Node, Redact(head(out.Stdout, 200)), target)
	}
	return nil
}

// kubeadmUpgrade is step 2, needed while a mark says it began and did not
// finish, or while the control plane is at another version (a worker: while
// its kubelet is, which step 3 installs after this step).
func (u *nodeUpgrade) kubeadmUpgrade(ctx context.Context) error {
	s, target := u.s, u.in.Version
	mark := markKubeadmUpgrade + "." + target
	needed := u.marks[mark]
	if u.in.ControlPlane {
		needed = needed || u.controlPlane != target
	} else {
		needed = needed || u.pkgs.versions["kubelet"] != target
	}
	if !needed {
		return nil
	}
	line := "sudo kubeadm upgrade node"
	if u.in.Apply {
		line = "sudo kubeadm upgrade apply -y " + target
	}
	progress(ctx, s, "running %s on node %s", strings.TrimPrefix(line, "sudo "), s.node.Node)
	if err := u.setMark(ctx, mark); err != nil {
		return err
	}
	u.changed = true
	if _, err := s.Run(ctx, Command{Line: line, Timeout: kubeadmUpgradeTimeout}); err != nil {
		if refusal := kubeadmRefusal(err); refusal != "" {
			_ = u.clearMark(ctx, mark) // kubeadm refuses before it changes anything
			return nonRetryable(ErrTypeUpgradeRefused, "kubeadm refused to upgrade node %s to %s:\n%s", s.node.Node, target, refusal)
		}
		return err
	}
	if u.in.ControlPlane {
		v, err := controlPlaneVersion(ctx, s)
		if err != nil {
			return err
		}
		if v != target {
			_ = u.clearMark(ctx, mark)
			return nonRetryable(ErrTypeUpgradeRefused, "after %q the control plane of node %s runs %s, not %s: the cluster is at %s; "+
				"upgrade the first control plane (kubeadm upgrade apply) first", line, s.node.Node, v, target, v)
		}
		u.controlPlane = v
	}
	for name := range u.marks {
		if strings.HasPrefix(name, markKubeadmUpgrade+".") { // this and stale ones of other versions
			if err := u.clearMark(ctx, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// installKubelet is step 3: kubelet and kubectl at the target version,
// held. The restart mark is set before the kubelet package changes.
func (u *nodeUpgrade) installKubelet(ctx context.Context) error {
	s, target := u.s, u.in.Version
	pkgs := []string{"kubelet", "kubectl"}
	if u.pkgs.versions["kubelet"] == target && u.pkgs.versions["kubectl"] == target && u.pkgs.held["kubelet"] && u.pkgs.held["kubectl"] {
		return nil
	}
	if u.pkgs.versions["kubelet"] != target || u.pkgs.versions["kubectl"] != target {
		progress(ctx, s, "installing kubelet and kubectl %s on node %s", target, s.node.Node)
		if err := u.setMark(ctx, markKubeletRestart); err != nil {
			return err
		}
		if err := u.install(ctx, pkgs...); err != nil {
			return err
		}
	}
	if err := aptMark(ctx, s, "hold", pkgs...); err != nil {
		return err
	}
	u.changed = true
	return nil
}

// restartKubelet is step 4, needed while the restart mark is set.
func (u *nodeUpgrade) restartKubelet(ctx context.Context) error {
	s := u.s
	if !u.marks[markKubeletRestart] {
		return nil
	}
	progress(ctx, s, "restarting the kubelet of node %s", s.node.Node)
	if _, err := s.Run(ctx, Command{Line: "sudo systemctl daemon-reload"}); err != nil {
		return err
	}
	if _, err := s.Run(ctx, Command{Line: "sudo systemctl restart kubelet", Timeout: kubeletRestartTimeout}); err != nil {
		return err
	}
	u.changed = true
	return u.clearMark(ctx, markKubeletRestart)
}

// setMark records that a step began.
func (u *nodeUpgrade) setMark(ctx context.Context, name string) error {
	if u.marks[name] {
		return nil
	}
	_, err := u.s.Run(ctx, Command{Line: "sudo tee " + UpgradeStateDir + "/" + name, Stdin: strings.NewReader(u.in.Version + "\n")})
	if err == nil {
		u.marks[name] = true
	}
	return err
}

// clearMark records that a step finished.
func (u *nodeUpgrade) clearMark(ctx context.Context, name string) error {
	if !u.marks[name] {
		return nil
	}
	_, err := u.s.Run(ctx, Command{Line: "sudo rm -f " + UpgradeStateDir + "/" + name})
	if err == nil {
		delete(u.marks, name)
	}
	return err
}

// controlPlaneVersion is the version of the kube-apiserver image in the
// node's static Pod manifest: the control plane's version, as kubeadm
// writes it.
func controlPlaneVersion(ctx context.Context, s *Session) (string, error) {
	path := ManifestsDir + "/" + manifestFile("kube-apiserver")
	out, err := s.Run(ctx, Command{Line: "sudo test -f " + path + " && sudo cat " + path})
	var cmdErr *CommandError
	if errors.As(err, &cmdErr) && cmdErr.ExitStatus == 1 && cmdErr.OutputBytes == 0 {
		return "", nonRetryable(ErrTypeNoControlPlane, "node %s has no %s: not a kubeadm control-plane node", s.node.Node, path)
	}
	if err != nil {
		return "", err
	}
	m := apiServerImage.FindSubmatch(out.Stdout)
	if m == nil {
		return "", nonRetryable(ErrTypeBadOutput, "node %s: no kube-apiserver image in %s", s.node.Node, path)
	}
	return string(m[1]), nil
}

// kubeadmRefusal returns kubeadm's message when err is kubeadm refusing an
// upgrade by its version policy (from its FATAL or "argument is invalid" line
// on, without the stack trace hint), else "". The output is redacted.
func kubeadmRefusal(err error) string {
	var cmdErr *CommandError
	if !errors.As(err, &cmdErr) || cmdErr.ExitStatus < 1 {
		return ""
	}
	lines := strings.Split(cmdErr.Output, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "argument is invalid due to these") && !strings.Contains(l, "[upgrade/version] FATAL") {
			continue
		}
		var kept []string
		for _, l := range lines[i:] {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "To see the stack trace") {
				kept = append(kept, l)
			}
		}
		return strings.Join(kept, "\n")
	}
	return ""
}
