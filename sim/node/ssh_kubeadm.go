package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// kubeadm runs the kubeadm subcommands Day-2 operations use, with the
// installed kubeadm package's version.
func (sh *shell) kubeadm(cmd command) int {
	args := cmd.args
	switch {
	case len(args) >= 1 && args[0] == "version":
		return sh.kubeadmVersion(args[1:])
	case len(args) >= 2 && args[0] == "certs" && args[1] == "check-expiration":
		return sh.certsCheckExpiration(cmd, args[2:])
	case len(args) >= 3 && args[0] == "certs" && args[1] == "renew" && args[2] == "all":
		return sh.certsRenewAll(cmd, args[3:])
	case len(args) >= 2 && args[0] == "upgrade" && args[1] == "apply":
		return sh.upgradeApply(cmd, args[2:])
	case len(args) >= 2 && args[0] == "upgrade" && args[1] == "node":
		return sh.upgradeNode(cmd, args[2:])
	}
	parent := "kubeadm"
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		if slices.Contains([]string{"certs", "upgrade"}, a) && parent == "kubeadm" {
			parent += " " + a
			continue
		}
		return sh.kubeadmError(fmt.Errorf("unknown command %q for %q", a, parent))
	}
	return sh.kubeadmError(errors.New("the simulated node supports kubeadm version, certs check-expiration, certs renew all, upgrade apply and upgrade node"))
}

// kubeadmError prints err the way kubeadm does and returns its exit status.
func (sh *shell) kubeadmError(err error) int {
	fmt.Fprintf(sh.stderr, "%v\nTo see the stack trace of this error execute with --v=5 or higher\n", err)
	return 1
}

// kubeadmVersion is `kubeadm version [-o short|json]`.
func (sh *shell) kubeadmVersion(args []string) int {
	output := ""
	for i := 0; i < len(args); i++ {
		switch name, value, ok := cutFlag(args[i]); {
		case name == "-o" || name == "--output":
			if !ok && i+1 < len(args) {
				i++
				value = args[i]
			}
			output = value
		default:
			return sh.kubeadmError(fmt.Errorf("unknown flag: %s", name))
		}
	}
	p, err := sh.node.installedPackages()
	if err != nil {
		return sh.kubeadmError(err)
	}
	v := kubeVersion(p.Kubeadm)
	parsed := parseVersion(v)
	info := struct {
		Major        string `json:"major"`
		Minor        string `json:"minor"`
		GitVersion   string `json:"gitVersion"`
		GitTreeState string `json:"gitTreeState"`
		GoVersion    string `json:"goVersion"`
		Compiler     string `json:"compiler"`
		Platform     string `json:"platform"`
	}{fmt.Sprint(parsed.Major()), fmt.Sprint(parsed.Minor()), v, "clean", "go1.26.8", "gc", "linux/amd64"}
	switch output {
	case "short":
		fmt.Fprintln(sh.stdout, v)
	case "json":
		b, _ := json.MarshalIndent(map[string]any{"clientVersion": info}, "", "  ")
		fmt.Fprintf(sh.stdout, "%s\n", b)
	case "":
		fmt.Fprintf(sh.stdout, "kubeadm version: &version.Info{Major:%q, Minor:%q, GitVersion:%q, GitTreeState:%q, GoVersion:%q, Compiler:%q, Platform:%q}\n",
			info.Major, info.Minor, info.GitVersion, info.GitTreeState, info.GoVersion, info.Compiler, info.Platform)
	default:
		return sh.kubeadmError(fmt.Errorf("invalid output format: %s", output))
	}
	return 0
}

// upgradeFlags are the flags of kubeadm upgrade apply and node.
type upgradeFlags struct {
	version     string
	yes, force  bool
	renewCerts  bool
	ignoredArgs []string
}

func parseUpgradeFlags(args []string, wantVersion bool) (upgradeFlags, error) {
	f := upgradeFlags{renewCerts: true}
	for _, a := range args {
		name, value, hasValue := cutFlag(a)
		switch {
		case name == "-y" || name == "--yes":
			f.yes = !hasValue || value == "true"
		case name == "-f" || name == "--force":
			f.force = !hasValue || value == "true"
		case name == "--certificate-renewal":
			f.renewCerts = !hasValue || value == "true"
		case name == "--ignore-preflight-errors" || name == "--etcd-upgrade":
			f.ignoredArgs = append(f.ignoredArgs, a)
		case strings.HasPrefix(a, "-"):
			return f, fmt.Errorf("unknown flag: %s", name)
		case wantVersion && f.version == "":
			f.version = a
		default:
			return f, fmt.Errorf("unexpected argument %q", a)
		}
	}
	return f, nil
}

// preflightRoot is kubeadm's IsPrivilegedUser check.
func (sh *shell) preflightRoot(cmd command) bool {
	fmt.Fprintln(sh.stdout, "[upgrade/preflight] Running preflight checks")
	if cmd.root {
		return true
	}
	fmt.Fprint(sh.stderr, "error execution phase preflight: [preflight] Some fatal errors occurred:\n"+
		"\t[ERROR IsPrivilegedUser]: user is not running as root\n"+
		"[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n"+
		"To see the stack trace of this error execute with --v=5 or higher\n")
	return false
}

// versionPolicy is kubeadm's upgrade version policy: the mandatory and the
// skippable (with --force) errors of upgrading a cluster at version
// cluster to target with kubeadm at version kubeadm.
func versionPolicy(cluster, kubeadm, target string) (mandatory, skippable []error) {
	c, k, t := parseVersion(cluster), parseVersion(kubeadm), parseVersion(target)
	if t.Minor() > c.Minor()+1 {
		mandatory = append(mandatory, fmt.Errorf("Specified version to upgrade to %q is too high; kubeadm can upgrade only 1 minor version at a time", target))
	}
	if t.Minor()+1 < c.Minor() {
		mandatory = append(mandatory, fmt.Errorf("Specified version to downgrade to %q is too low; kubeadm can downgrade only 1 minor version at a time", target))
	}
	if k.LessThan(t) {
		if t.Minor() > k.Minor() {
			mandatory = append(mandatory, fmt.Errorf("Specified version to upgrade to %q is at least one minor release higher than the kubeadm minor release (%d > %d). Such an upgrade is not supported", target, t.Minor(), k.Minor()))
		} else {
			skippable = append(skippable, fmt.Errorf("Specified version to upgrade to %q is higher than the kubeadm version %q. Upgrade kubeadm first using the tool you used to install kubeadm", target, kubeadm))
		}
	}
	if k.Minor() > t.Minor() {
		skippable = append(skippable, fmt.Errorf("Kubeadm version %s can only be used to upgrade to Kubernetes version %d.%d", kubeadm, k.Major(), k.Minor()))
	}
	return mandatory, skippable
}

// formatErrors lists errors as kubeadm does.
func formatErrors(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		fmt.Fprintf(&b, "\t- %s\n", err)
	}
	return b.String()
}

// upgradeApply is `kubeadm upgrade apply VERSION [-y]` on the first
// control-plane node: it checks the version policy, stores the new version
// in the kubeadm-config ConfigMap, renews the certificates, updates the
// kube-proxy and CoreDNS add-ons and restarts this node's control plane
// with the new version's binaries.
func (sh *shell) upgradeApply(cmd command, args []string) int {
	f, err := parseUpgradeFlags(args, true)
	if err != nil {
		return sh.kubeadmError(err)
	}
	if f.version == "" {
		return sh.kubeadmError(errors.New("missing one or more required arguments. Required arguments: [version]"))
	}
	if parseVersion(f.version) == nil {
		return sh.kubeadmError(fmt.Errorf("[upgrade/version] FATAL: unable to parse version %q", f.version))
	}
	n := sh.node
	fmt.Fprintf(sh.stdout, "[upgrade] Reading configuration from the %q ConfigMap in namespace %q...\n", kubeadmConfigMap, "kube-system")
	fmt.Fprintln(sh.stdout, "[upgrade] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.")
	if !sh.preflightRoot(cmd) {
		return 1
	}
	cpCfg, hasCP, err := n.staticPodConfig()
	if err != nil {
		return sh.kubeadmError(err)
	}
	if !hasCP {
		return sh.kubeadmError(fmt.Errorf("couldn't create a Kubernetes client from file %q: failed to load admin kubeconfig: open %s: no such file or directory", adminConfPath, adminConfPath))
	}
	admin, err := clientFromKubeconfig(n.path(adminConfPath), "")
	if err != nil {
		return sh.kubeadmError(err)
	}
	ctx, cancel := context.WithTimeout(sh.ctx, 30*time.Second)
	defer cancel()
	cc, err := fetchClusterConfiguration(ctx, admin)
	if err != nil {
		return sh.kubeadmError(fmt.Errorf("[upgrade/init config] FATAL: unable to fetch the kubeadm-config ConfigMap: %w", err))
	}
	pkgs, err := n.installedPackages()
	if err != nil {
		return sh.kubeadmError(err)
	}
	kubeadmVersion := kubeVersion(pkgs.Kubeadm)
	fmt.Fprintf(sh.stdout, "[upgrade/preflight] You have chosen to upgrade the cluster version to %q\n", f.version)
	fmt.Fprintf(sh.stdout, "[upgrade/versions] Cluster version: %s\n", cc.KubernetesVersion)
	fmt.Fprintf(sh.stdout, "[upgrade/versions] kubeadm version: %s\n", kubeadmVersion)
	mandatory, skippable := versionPolicy(cc.KubernetesVersion, kubeadmVersion, f.version)
	if len(mandatory) > 0 {
		return sh.kubeadmError(fmt.Errorf("[upgrade/preflight] FATAL: the version argument is invalid due to these fatal errors:\n\n%s\nPlease fix the misalignments highlighted above and try upgrading again", formatErrors(mandatory)))
	}
	if len(skippable) > 0 && !f.force {
		return sh.kubeadmError(fmt.Errorf("[upgrade/preflight] FATAL: the version argument is invalid due to these errors:\n\n%s\nCan be bypassed if you pass the --force flag", formatErrors(skippable)))
	}
	if _, err := kubeproc.Binaries(f.version); err != nil {
		return sh.kubeadmError(fmt.Errorf("[preflight] Some fatal errors occurred:\n\t[ERROR ImagePull]: failed to pull image registry.k8s.io/kube-apiserver:%s: not found in the simulator's kubebin cache (build it with `make kubebin KUBE_VERSIONS=%s`)", f.version, f.version))
	}
	if !f.yes && !sh.confirm() {
		return sh.kubeadmError(errors.New("won't proceed; the user didn't answer (Y|y) in order to continue"))
	}

	// [upgrade/upload-config]
	cc.KubernetesVersion = f.version
	if err := uploadClusterConfiguration(ctx, admin, cc); err != nil {
		return sh.kubeadmError(fmt.Errorf("[upload-config] error uploading the kubeadm ClusterConfiguration: %w", err))
	}
	fmt.Fprintf(sh.stdout, "[upload-config] Storing the configuration used in ConfigMap %q in the %q Namespace\n", kubeadmConfigMap, "kube-system")
	if status := sh.upgradeControlPlane(cpCfg, f); status != 0 {
		return status
	}
	// [upgrade/addons]
	if err := sh.upgradeAddons(ctx, admin, cc); err != nil {
		return sh.kubeadmError(fmt.Errorf("[upgrade/addons] %w", err))
	}
	fmt.Fprintln(sh.stdout, "[addons] Applied essential addon: CoreDNS")
	fmt.Fprintln(sh.stdout, "[addons] Applied essential addon: kube-proxy")
	fmt.Fprintln(sh.stdout)
	fmt.Fprintf(sh.stdout, "[upgrade] SUCCESS! A control plane node of your cluster was upgraded to %q.\n\n", f.version)
	fmt.Fprintln(sh.stdout, "[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.")
	n.log.Info("kubeadm upgrade apply done", "version", f.version)
	return 0
}

// upgradeControlPlane renews the certificates (unless told not to), writes
// the new version into the control plane's manifest and restarts it.
func (sh *shell) upgradeControlPlane(cpCfg kubeproc.ControlPlaneConfig, f upgradeFlags) int {
	fmt.Fprintf(sh.stdout, "[upgrade/control-plane] Upgrading your static Pod-hosted control plane to version %q (timeout: 5m0s)...\n", f.version)
	if f.renewCerts {
		if err := kubeproc.RenewCertificates(cpCfg); err != nil {
			return sh.kubeadmError(err)
		}
	}
	cpCfg.Version = f.version
	if err := sh.node.writeStaticPodManifests(cpCfg); err != nil {
		return sh.kubeadmError(err)
	}
	if err := sh.startControlPlane(cpCfg, kubeproc.Components); err != nil {
		return sh.kubeadmError(fmt.Errorf("[upgrade/control-plane] FATAL: couldn't upgrade control plane. kubeadm has tried to recover everything into the earlier state: %w", err))
	}
	fmt.Fprintln(sh.stdout, "[upgrade/control-plane] The control plane instance for this node was successfully upgraded!")
	return 0
}

// upgradeAddons moves the kube-proxy DaemonSet to the new version's image,
// as kubeadm's addon phase does (CoreDNS keeps its version here: one
// CoreDNS version serves every Kubernetes version the simulator runs).
func (sh *shell) upgradeAddons(ctx context.Context, admin kubernetes.Interface, cc cloudinit.ClusterConfiguration) error {
	cc = withKubeadmDefaults(cc)
	return retry(ctx, phaseTimeout, func(ctx context.Context) error {
		ds, err := admin.AppsV1().DaemonSets(metav1.NamespaceSystem).Get(ctx, "kube-proxy", metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("kube-proxy: %w", err)
		}
		for i := range ds.Spec.Template.Spec.Containers {
			if ds.Spec.Template.Spec.Containers[i].Name == "kube-proxy" {
				ds.Spec.Template.Spec.Containers[i].Image = cc.ImageRepository + "/kube-proxy:" + cc.KubernetesVersion
			}
		}
		_, err = admin.AppsV1().DaemonSets(metav1.NamespaceSystem).Update(ctx, ds, metav1.UpdateOptions{})
		return err
	})
}

// confirm asks kubeadm's question and reads the answer from standard input.
func (sh *shell) confirm() bool {
	fmt.Fprint(sh.stdout, "[upgrade] Are you sure you want to proceed? [y/N]: ")
	line, _ := bufio.NewReader(sh.stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// upgradeNode is `kubeadm upgrade node`: a further control-plane node
// restarts its control plane with the cluster's version (from the
// kubeadm-config ConfigMap); a worker has nothing to upgrade but its
// kubelet, which the package manager and systemctl do.
func (sh *shell) upgradeNode(cmd command, args []string) int {
	f, err := parseUpgradeFlags(args, false)
	if err != nil {
		return sh.kubeadmError(err)
	}
	n := sh.node
	fmt.Fprintf(sh.stdout, "[upgrade] Reading configuration from the %q ConfigMap in namespace %q...\n", kubeadmConfigMap, "kube-system")
	fmt.Fprintln(sh.stdout, "[upgrade] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.")
	if !sh.preflightRoot(cmd) {
		return 1
	}
	cpCfg, hasCP, err := n.staticPodConfig()
	if err != nil {
		return sh.kubeadmError(err)
	}
	kubeconfig := kubeletConfPath // kubeadm reads the cluster's configuration with the node's credentials
	if hasCP {
		kubeconfig = adminConfPath
	}
	client, err := clientFromKubeconfig(n.path(kubeconfig), "")
	if err != nil {
		return sh.kubeadmError(err)
	}
	ctx, cancel := context.WithTimeout(sh.ctx, 30*time.Second)
	defer cancel()
	cc, err := fetchClusterConfiguration(ctx, client)
	if err != nil {
		return sh.kubeadmError(fmt.Errorf("unable to fetch the kubeadm-config ConfigMap: %w", err))
	}
	if !hasCP {
		fmt.Fprintln(sh.stdout, "[upgrade/preflight] Skipping prepull. Not a control plane node.")
		fmt.Fprintln(sh.stdout, "[upgrade/control-plane] Skipping phase. Not a control plane node.")
		fmt.Fprintln(sh.stdout, "[upgrade/kubeconfig] Skipping phase. Not a control plane node.")
	} else {
		pkgs, err := n.installedPackages()
		if err != nil {
			return sh.kubeadmError(err)
		}
		if kubeadmVersion := kubeVersion(pkgs.Kubeadm); compareVersions(kubeadmVersion, cc.KubernetesVersion) < 0 {
			return sh.kubeadmError(fmt.Errorf("[upgrade/version] FATAL: the kubeadm version %q is older than the cluster version %q. Upgrade kubeadm first using the tool you used to install kubeadm", kubeadmVersion, cc.KubernetesVersion))
		}
		if _, err := kubeproc.Binaries(cc.KubernetesVersion); err != nil {
			return sh.kubeadmError(fmt.Errorf("[preflight] Some fatal errors occurred:\n\t[ERROR ImagePull]: failed to pull image registry.k8s.io/kube-apiserver:%s", cc.KubernetesVersion))
		}
		f.version = cc.KubernetesVersion
		fmt.Fprintf(sh.stdout, "[upgrade/control-plane] Upgrading your Static Pod-hosted control plane instance to version %q...\n", cc.KubernetesVersion)
		if status := sh.upgradeControlPlane(cpCfg, f); status != 0 {
			return status
		}
		fmt.Fprintln(sh.stdout, "[upgrade/kubeconfig] The kubeconfig files for this node were successfully upgraded!")
	}
	fmt.Fprintln(sh.stdout, "[upgrade] The configuration for this node was successfully upgraded!")
	fmt.Fprintln(sh.stdout, "[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.")
	n.log.Info("kubeadm upgrade node done", "version", cc.KubernetesVersion, "controlPlane", hasCP)
	return 0
}
