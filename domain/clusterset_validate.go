package domain

import (
	"regexp"
	"slices"
	"strconv"
)

// Defaults fills in what a ClusterSet request may leave out: Antrea's own defaults,
// private gateway IPs and ClusterIP endpoints.
func (s *ClusterSetSpec) Defaults() {
	if s.GatewayIPPrecedence == "" {
		s.GatewayIPPrecedence = GatewayIPPrivate
	}
	if s.EndpointIPType == "" {
		s.EndpointIPType = EndpointIPTypeCluster
	}
	if s.Members == nil {
		s.Members = []string{}
	}
}

// Validate checks a ClusterSet request on its own and returns a *ValidationError naming
// every bad field: names, a cluster listed twice, gateways of clusters that are not in the
// set, and the enum values. Whether the clusters can form a set is the preflight's
// (CheckClusterSet). Call Defaults first.
func (s *ClusterSetSpec) Validate() error {
	var v ValidationError
	checkName(&v, "name", s.Name)
	checkName(&v, "leader", s.Leader)
	listed := map[string]string{} // cluster -> the field that listed it first
	for i, m := range s.Members {
		field := "members[" + strconv.Itoa(i) + "]"
		checkName(&v, field, m)
		if first, dup := listed[m]; dup && m != "" {
			v.Add(field, "%q is listed twice (first as %s)", m, first)
		}
		listed[m] = field
	}
	inSet := func(c string) bool { return c == s.Leader || listed[c] != "" }
	for _, c := range sortedKeys(s.Gateways) {
		field := "gateways." + c
		if !inSet(c) {
			v.Add(field, "cluster %q is neither the leader nor a member", c)
			continue
		}
		checkNodeList(&v, field, s.Gateways[c])
	}
	switch s.GatewayIPPrecedence {
	case GatewayIPPrivate, GatewayIPPublic:
	default:
		v.Add("gateway_ip_precedence", "must be %s or %s", GatewayIPPrivate, GatewayIPPublic)
	}
	switch s.EndpointIPType {
	case EndpointIPTypeCluster, EndpointIPTypePod:
	default:
		v.Add("endpoint_ip_type", "must be %s or %s", EndpointIPTypeCluster, EndpointIPTypePod)
	}
	return v.Err()
}

// Validate checks a join request on its own: the cluster's name and the gateway nodes.
func (j *ClusterSetJoin) Validate() error {
	var v ValidationError
	checkName(&v, "cluster", j.Cluster)
	if j.Gateways != nil {
		checkNodeList(&v, "gateways", j.Gateways)
	}
	return v.Err()
}

// nodeNameRE is a Kubernetes node name: a DNS-1123 subdomain.
var nodeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// checkNodeList adds a field error for an empty list, a name that cannot be a node's and a
// node listed twice.
func checkNodeList(v *ValidationError, field string, nodes NodeList) {
	if len(nodes) == 0 {
		v.Add(field, "names no node; leave the cluster out to have its gateways chosen")
		return
	}
	for i, n := range nodes {
		switch {
		case len(n) > 253 || !nodeNameRE.MatchString(n):
			v.Add(field, "%q is not a node name", n)
		case slices.Contains(nodes[:i], n):
			v.Add(field, "node %q is listed twice", n)
		}
	}
}

// sortedKeys returns the keys of m in order, for deterministic error lists.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
