package health

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/clusterwright/clusterwright/activities/kube"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
)

// CertificateWarnDays: certificates with fewer days of life left make a cluster Degraded.
const CertificateWarnDays = 7

// addonDeployed is Helm's status of a deployed release.
const addonDeployed = "deployed"

// Facts are what a health check gathered about one cluster.
type Facts struct {
	// Nodes are the nodes the inventory records, each with its VM.
	Nodes []domain.Node
	// VMs are the VMs vCenter has marked for the cluster; VMsProblem says why they could
	// not be read (then the VMs are not judged).
	VMs        []vsphere.VMInfo
	VMsProblem string
	API        kube.APIHealth
	// Addons are the cluster's add-ons with their releases' status: as the cluster has
	// them when its API server answers, else as recorded.
	Addons []domain.Addon
	// CertificateExpiry is the earliest not_after the last certificate check recorded.
	CertificateExpiry *time.Time
	Now               time.Time
}

// Verdict is the phase the facts call for and, unless Ready, what is wrong.
type Verdict struct {
	Phase  string
	Reason string
}

// Classify judges a cluster: Unreachable when its API server does not answer, Degraded
// when it answers but something else is wrong, Ready otherwise. The reason lists every
// problem, VMs first, in the order of the recorded nodes.
func Classify(f Facts) Verdict {
	var problems []string
	vmTrouble := map[string]bool{} // nodes whose VM is missing or off: their Kubernetes state says nothing more
	switch {
	case f.VMsProblem != "":
		problems = append(problems, "VMs not checked: "+f.VMsProblem)
	default:
		for _, n := range f.Nodes {
			if p := vmProblem(n, f.VMs); p != "" {
				problems = append(problems, p)
				vmTrouble[n.Name] = true
			}
		}
	}
	if !f.API.Answering {
		problems = append(problems, f.API.Problem)
		return Verdict{Phase: domain.PhaseUnreachable, Reason: strings.Join(problems, "; ")}
	}
	if f.API.Problem != "" {
		problems = append(problems, f.API.Problem)
	} else {
		problems = append(problems, nodeProblems(f.Nodes, f.API.Nodes, vmTrouble)...)
	}
	for _, a := range f.Addons {
		if a.Status != addonDeployed {
			problems = append(problems, fmt.Sprintf("add-on %s: %s", a.Name, cmp.Or(a.Status, "not deployed")))
		}
	}
	if p := certificateProblem(f.CertificateExpiry, f.Now); p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return Verdict{Phase: domain.PhaseDegraded, Reason: strings.Join(problems, "; ")}
	}
	return Verdict{Phase: domain.PhaseReady}
}

// vmProblem says what is wrong with the VM of node n, found by its recorded moref or,
// failing that, by the node's name.
func vmProblem(n domain.Node, vms []vsphere.VMInfo) string {
	var vm *vsphere.VMInfo
	for i := range vms {
		if (n.VM != "" && vms[i].Moref == n.VM) || vms[i].Name == n.Name {
			vm = &vms[i]
			break
		}
	}
	switch {
	case vm == nil:
		return "node " + n.Name + ": VM missing"
	case vm.PowerState != "poweredOn":
		return "VM " + vm.Name + " powered off"
	}
	return ""
}

// nodeProblems lists the recorded nodes that are not registered or not Ready in the
// cluster, skipping those whose VM is already named.
func nodeProblems(recorded []domain.Node, seen []kube.NodeState, skip map[string]bool) []string {
	ready := map[string]bool{}
	registered := map[string]bool{}
	for _, s := range seen {
		registered[s.Name], ready[s.Name] = true, s.Ready
	}
	var out []string
	for _, n := range recorded {
		switch {
		case skip[n.Name]:
		case !registered[n.Name]:
			out = append(out, "node "+n.Name+": not registered")
		case !ready[n.Name]:
			out = append(out, "node "+n.Name+": not Ready")
		}
	}
	return out
}

// certificateProblem says when the cluster's certificates expire, if that is soon.
func certificateProblem(expiry *time.Time, now time.Time) string {
	if expiry == nil {
		return ""
	}
	switch days := domain.DaysUntil(*expiry, now); {
	case !expiry.After(now):
		return "certificates expired " + expiry.UTC().Format(time.DateOnly)
	case days < CertificateWarnDays:
		return fmt.Sprintf("certificates expire in %d days", days)
	}
	return ""
}
