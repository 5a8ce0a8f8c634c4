package domain

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// SetClusterFacts is what the inventory records of a cluster that a ClusterSet request
// names (see inventory.Store.ClusterSetFacts).
type SetClusterFacts struct {
	Phase  string
	Antrea bool // its recorded add-ons include Antrea
	// ClusterSet is the set the cluster is in, "" when none.
	ClusterSet  string
	PodCIDR     string
	ServiceCIDR string
	// Nodes are the names of its recorded nodes, control planes and workers.
	Nodes []string
}

// CheckClusterSet applies the rules of forming a set to a spec that passed Validate, given
// the recorded facts of each cluster it names (a missing entry: no such cluster). It
// returns a ValidationError naming each bad field, or nil:
//
//   - leader, members[i]: the cluster exists, is Ready, runs Antrea and is in no set;
//     its pod CIDR and its service CIDR overlap those of no cluster named before it;
//     its name and an earlier one's are not a dash-prefix pair (CheckDashPrefix);
//   - gateways.<cluster>: every node named is a recorded node of that cluster.
//
// A rule between two clusters is reported on the field named later, naming the other.
func CheckClusterSet(spec ClusterSetSpec, facts map[string]*SetClusterFacts) *ValidationError {
	cands := []setCandidate{{field: "leader", name: spec.Leader}}
	for i, m := range spec.Members {
		if m != spec.Leader && !slices.Contains(spec.Members[:i], m) {
			cands = append(cands, setCandidate{field: "members[" + strconv.Itoa(i) + "]", name: m})
		}
	}
	var gateways []gatewayChoice
	for _, c := range sortedKeys(spec.Gateways) {
		gateways = append(gateways, gatewayChoice{field: "gateways." + c, cluster: c, nodes: spec.Gateways[c]})
	}
	return checkSet(cands, gateways, facts)
}

// CheckJoin applies the same rules to a cluster joining set: field "cluster" for the
// cluster (checked against every member of the set), "gateways" for its gateway nodes.
func CheckJoin(set ClusterSet, join ClusterSetJoin, facts map[string]*SetClusterFacts) *ValidationError {
	var cands []setCandidate
	for _, m := range set.Members {
		cands = append(cands, setCandidate{name: m.Cluster}) // already in: compared with, not checked
	}
	cands = append(cands, setCandidate{field: "cluster", name: join.Cluster})
	var gateways []gatewayChoice
	if len(join.Gateways) > 0 {
		gateways = []gatewayChoice{{field: "gateways", cluster: join.Cluster, nodes: join.Gateways}}
	}
	return checkSet(cands, gateways, facts)
}

// setCandidate is one cluster of a set as a request names it; field is the request
// field, "" for a cluster that is in the set already.
type setCandidate struct {
	field string
	name  string
}

// gatewayChoice is the gateway nodes a request field names for a cluster.
type gatewayChoice struct {
	field   string
	cluster string
	nodes   []string
}

func checkSet(cands []setCandidate, gateways []gatewayChoice, facts map[string]*SetClusterFacts) *ValidationError {
	v := &ValidationError{}
	for i, c := range cands {
		if c.field == "" {
			continue
		}
		f := facts[c.name]
		if f == nil {
			v.Add(c.field, "cluster %q does not exist", c.name)
			continue
		}
		if f.Phase != PhaseReady {
			v.Add(c.field, "cluster %q is %s; it must be Ready", c.name, f.Phase)
		}
		if !f.Antrea {
			v.Add(c.field, "cluster %q does not run Antrea", c.name)
		}
		if f.ClusterSet != "" {
			v.Add(c.field, "cluster %q is already in clusterset %q; a cluster is in at most one", c.name, f.ClusterSet)
		}
		for _, other := range cands[:i] {
			if other.name != c.name { // a member joining again is reported above
				checkPair(v, c, other, f, facts[other.name])
			}
		}
	}
	for _, g := range gateways {
		f := facts[g.cluster]
		if f == nil {
			continue // reported on the cluster's own field
		}
		for _, n := range g.nodes {
			if !slices.Contains(f.Nodes, n) {
				v.Add(g.field, "node %q is not a node of cluster %q (its nodes: %s)", n, g.cluster, strings.Join(f.Nodes, ", "))
			}
		}
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

// checkPair reports on c's field what keeps c and an earlier cluster other apart.
func checkPair(v *ValidationError, c, other setCandidate, f, of *SetClusterFacts) {
	if DashPrefixPair(c.name, other.name) {
		v.Add(c.field, "cluster IDs %q and %q form a dash-prefix pair, which Antrea Multi-cluster does not allow; rename one", c.name, other.name)
	}
	if of == nil {
		return
	}
	if CIDRsOverlap(f.PodCIDR, of.PodCIDR) {
		v.Add(c.field, "pod CIDR %s of cluster %q overlaps pod CIDR %s of cluster %q%s", f.PodCIDR, c.name, of.PodCIDR, other.name, as(other.field))
	}
	if CIDRsOverlap(f.ServiceCIDR, of.ServiceCIDR) {
		v.Add(c.field, "service CIDR %s of cluster %q overlaps service CIDR %s of cluster %q%s", f.ServiceCIDR, c.name, of.ServiceCIDR, other.name, as(other.field))
	}
}

// as names the request field of the other cluster in a message, when it has one.
func as(field string) string {
	if field == "" {
		return " (a member)"
	}
	return fmt.Sprintf(" (%s)", field)
}

// DashPrefixPair reports whether one of two cluster IDs is the other followed by "-" and
// more, such as east and east-1: Antrea Multi-cluster cannot tell their objects apart.
func DashPrefixPair(a, b string) bool {
	return strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-")
}

// CIDRsOverlap reports whether two CIDRs share an address; an unreadable one overlaps
// nothing (the cluster's own validation rejects it).
func CIDRsOverlap(a, b string) bool {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	return errA == nil && errB == nil && pa.Overlaps(pb)
}
