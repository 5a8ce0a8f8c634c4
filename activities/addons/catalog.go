package addons

import (
	"fmt"

	"github.com/clusterwright/clusterwright/domain"
)

// The platform add-ons, as AddonRequest.Addon names them.
const (
	AddonAntrea     = "antrea"
	AddonCPI        = "vsphere-cpi"
	AddonCSI        = "vsphere-csi"
	AddonKubeSphere = "kubesphere"
)

// addon is where an add-on's release goes and where its chart comes from.
type addon struct {
	release         string
	namespace       string
	createNamespace bool // kube-system exists; the others are the chart's own
	source          func(Sources) Source
}

// catalog holds every add-on; the release names and namespaces are the
// upstream installation guides' own.
var catalog = map[string]addon{
	AddonAntrea:     {"antrea", "kube-system", false, func(s Sources) Source { return s.Antrea }},
	AddonCPI:        {"vsphere-cpi", "kube-system", false, func(s Sources) Source { return s.CPI }},
	AddonCSI:        {"vsphere-csi", "vmware-system-csi", true, func(s Sources) Source { return s.CSI }},
	AddonKubeSphere: {"ks-core", "kubesphere-system", true, func(s Sources) Source { return s.KubeSphere }},
}

// lookup returns the add-on called name.
func lookup(name string) (addon, error) {
	a, ok := catalog[name]
	if !ok {
		return addon{}, fmt.Errorf("%w: %q (want %s, %s, %s or %s)", ErrUnknownAddon, name, AddonAntrea, AddonCPI, AddonCSI, AddonKubeSphere)
	}
	return a, nil
}

// Addons returns the add-ons a cluster spec enables, in installation order:
// the CNI first (nodes become Ready), then the cloud provider (it
// initialises the nodes and lifts their uninitialized taint), then CSI,
// which needs initialised nodes, and KubeSphere last. Antrea, CPI and CSI
// are always installed; KubeSphere when enabled. Workflows may call it: it
// is deterministic.
func Addons(spec domain.ClusterSpec) []string {
	out := []string{AddonAntrea, AddonCPI, AddonCSI}
	if ks := spec.Addons.KubeSphere; ks != nil && ks.Enabled {
		out = append(out, AddonKubeSphere)
	}
	return out
}

// ReleaseOf returns the Helm release name and namespace of an add-on.
func ReleaseOf(addonName string) (name, namespace string, err error) {
	a, err := lookup(addonName)
	if err != nil {
		return "", "", err
	}
	return a.release, a.namespace, nil
}
