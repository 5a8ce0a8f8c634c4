package node

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// criSocket is containerd's socket, kubeadm's default criSocket.
const criSocket = "unix:///var/run/containerd/containerd.sock"

// crictl is `crictl [--runtime-endpoint SOCKET] ps [-a] [--name REGEX] [-q]`:
// the containers of the node's static Pods, as containerd runs them on a
// real node. The simulated node runs no other containers (its workload Pods
// have no processes), so only the control-plane components and kube-vip are
// listed; a stopped component is listed as Exited with -a.
func (sh *shell) crictl(cmd command) int {
	args := cmd.args
	for len(args) > 1 && (args[0] == "-r" || args[0] == "--runtime-endpoint" || strings.HasPrefix(args[0], "--runtime-endpoint=")) {
		endpoint, ok := strings.CutPrefix(args[0], "--runtime-endpoint=")
		if !ok {
			endpoint, args = args[1], args[1:]
		}
		args = args[1:]
		if endpoint != criSocket && endpoint != strings.TrimPrefix(criSocket, "unix://") {
			fmt.Fprintf(sh.stderr, "level=fatal msg=\"validate service connection: validate CRI v1 runtime API for endpoint %q: dial %s: connect: no such file or directory\"\n",
				endpoint, strings.TrimPrefix(endpoint, "unix://"))
			return 1
		}
	}
	if len(args) == 0 || (args[0] != "ps" && args[0] != "containers") {
		return sh.fail(1, "crictl", "the simulated node supports crictl ps [-a] [--name REGEX] [-q]")
	}
	var all, quiet bool
	var name *regexp.Regexp
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-a" || a == "--all":
			all = true
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "--name" || strings.HasPrefix(a, "--name="):
			expr, ok := strings.CutPrefix(a, "--name=")
			if !ok {
				if i+1 >= len(args) {
					return sh.fail(1, "crictl", "flag needs an argument: --name")
				}
				i++
				expr = args[i]
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return sh.fail(1, "crictl", "invalid --name %q: %v", expr, err)
			}
			name = re
		default:
			return sh.fail(1, "crictl", "flag %q is not supported by the simulated node (crictl ps [-a] [--name REGEX] [-q])", a)
		}
	}
	if !cmd.root {
		fmt.Fprintln(sh.stderr, `time="`+time.Now().UTC().Format(time.RFC3339)+`" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \"unix:///run/containerd/containerd.sock\": rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: permission denied\""`)
		return 1
	}
	var list []criContainer
	if cp := sh.run.controlPlane(); cp != nil {
		list = criContainers(sh.node.Hostname(), cp, all)
	}
	sh.run.mu.Lock()
	vip := sh.run.vip
	sh.run.mu.Unlock()
	if vip != nil {
		host := sh.node.Hostname()
		list = append(list, criContainer{id: hexID(host, "kube-vip", vip.identity), podID: hexID(host, "kube-vip"),
			name: "kube-vip", pod: "kube-vip-" + host, image: vip.cfg.Image, state: "Running"})
	}
	if quiet {
		for _, c := range list {
			if name == nil || name.MatchString(c.name) {
				fmt.Fprintln(sh.stdout, c.id)
			}
		}
		return 0
	}
	w := tabwriter.NewWriter(sh.stdout, 20, 1, 3, ' ', 0)
	fmt.Fprintln(w, "CONTAINER\tIMAGE\tCREATED\tSTATE\tNAME\tATTEMPT\tPOD ID\tPOD")
	for _, c := range list {
		if name != nil && !name.MatchString(c.name) {
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.id[:13], c.image, ago(c.created), c.state, c.name, 0, c.podID[:13], c.pod)
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	return 0
}

// criContainer is one container as crictl lists it.
type criContainer struct {
	id, podID, name, pod, image, state string
	created                            time.Time
}

// criContainers are the containers of the control plane's components:
// those running, and with all those that ran and stopped.
func criContainers(nodeName string, cp *kubeproc.ControlPlane, all bool) []criContainer {
	running := map[string]kubeproc.Container{}
	for _, c := range cp.Running() {
		running[c.Name] = c
	}
	cfg := cp.Config()
	var out []criContainer
	for _, name := range kubeproc.Components {
		c, ok := running[name]
		state := "Running"
		if !ok {
			if !all || cp.State(name) == kubeproc.NotStarted {
				continue
			}
			state = "Exited"
		}
		image := defaultImageRepository + "/" + name + ":" + cfg.Version
		if name == kubeproc.Etcd {
			image = defaultImageRepository + "/etcd:" + etcdVersion
		}
		out = append(out, criContainer{
			id:      hexID(nodeName, name, strconv.Itoa(c.PID), c.Started.String()),
			podID:   hexID(nodeName, name),
			name:    name,
			pod:     name + "-" + nodeName,
			image:   image,
			state:   state,
			created: c.Started,
		})
	}
	return out
}

// hexID is a container runtime's 64-hex-digit ID made from parts.
func hexID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// ago says how long ago t was, as crictl does ("5 seconds ago").
func ago(t time.Time) string {
	if t.IsZero() {
		return "Unknown"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
}
