package domain

import (
	"fmt"
	"net/netip"
	"strconv"
)

// The hardware floor of a node, from the KubeSphere installation guide.
const (
	MinNodeCPUs      = 2
	MinNodeMemoryMiB = 4096
	MinNodeDiskGiB   = 40
	// MaxControlPlanes bounds the etcd cluster size.
	MaxControlPlanes = 7
	// MaxPoolReplicas bounds one worker pool.
	MaxPoolReplicas = 500
)

// Defaults of a cluster spec.
const (
	DefaultPodCIDR     = "10.244.0.0/16"
	DefaultServiceCIDR = "10.96.0.0/12"
)

// Defaults fills in the values a spec may leave out: the default Kubernetes version,
// pod and service CIDRs, one control plane, and the add-ons' own defaults.
func (s *ClusterSpec) Defaults() {
	if s.KubernetesVersion == "" {
		s.KubernetesVersion = defaultVersion
	}
	if s.ControlPlane.Replicas == 0 {
		s.ControlPlane.Replicas = 1
	}
	if s.Network.PodCIDR == "" {
		s.Network.PodCIDR = DefaultPodCIDR
	}
	if s.Network.ServiceCIDR == "" {
		s.Network.ServiceCIDR = DefaultServiceCIDR
	}
	if s.Addons.Antrea == nil {
		s.Addons.Antrea = &AntreaSpec{}
	}
	if s.Addons.Antrea.TrafficEncryption == "" {
		s.Addons.Antrea.TrafficEncryption = "none"
	}
	if s.Addons.VSphereCPI == nil {
		s.Addons.VSphereCPI = &struct{}{}
	}
	if s.Addons.VSphereCSI == nil {
		s.Addons.VSphereCSI = &CSISpec{}
	}
	if s.Addons.VSphereCSI.DefaultClass == nil {
		yes := true
		s.Addons.VSphereCSI.DefaultClass = &yes
	}
	if ks := s.Addons.KubeSphere; ks != nil && ks.Enabled && ks.Role == "" {
		ks.Role = KubeSphereHost
	}
}

// Validate checks everything that can be checked without vCenter or the inventory and
// returns a *ValidationError naming every bad field. Call Defaults first.
func (s *ClusterSpec) Validate() error {
	var v ValidationError
	checkName(&v, "name", s.Name)
	if s.VCenter == "" {
		v.Add("vcenter", "is required")
	}
	s.Placement.validate(&v)
	if !SupportedVersion(s.KubernetesVersion) {
		v.Add("kubernetes_version", "%q is not supported; supported: %v", s.KubernetesVersion, supportedVersions)
	}
	s.ControlPlane.validate(&v, "control_plane")
	switch r := s.ControlPlane.Replicas; {
	case r < 1 || r > MaxControlPlanes:
		v.Add("control_plane.replicas", "must be 1, 3, 5 or 7")
	case r%2 == 0:
		v.Add("control_plane.replicas", "must be odd (etcd needs a majority): 1, 3, 5 or 7")
	}
	seen := map[string]bool{}
	for i, p := range s.WorkerPools {
		field := "worker_pools[" + strconv.Itoa(i) + "]"
		checkName(&v, field+".name", p.Name)
		if seen[p.Name] {
			v.Add(field+".name", "%q is used by another pool", p.Name)
		}
		seen[p.Name] = true
		p.NodeShape.validate(&v, field)
		if p.Replicas < 0 || p.Replicas > MaxPoolReplicas {
			v.Add(field+".replicas", "must be from 0 to %d", MaxPoolReplicas)
		}
		if p.Name != "" && len(VMName(s.Name, p.Name, MaxPoolReplicas)) > 63 {
			v.Add(field+".name", "is too long together with the cluster name: node names must fit 63 characters")
		}
	}
	if len(VMName(s.Name, ControlPlanePool, MaxControlPlanes)) > 63 {
		v.Add("name", "is too long: node names (%s) must fit 63 characters", VMName(s.Name, ControlPlanePool, 0))
	}
	s.Network.validate(&v)
	s.Addons.validate(&v, s.Name)
	return v.Err()
}

func (p Placement) validate(v *ValidationError) {
	required := []struct{ field, value string }{
		{"placement.datacenter", p.Datacenter}, {"placement.compute_cluster", p.ComputeCluster},
		{"placement.datastore", p.Datastore}, {"placement.network", p.Network}, {"placement.template", p.Template},
	}
	for _, r := range required {
		if r.value == "" {
			v.Add(r.field, "is required")
		}
	}
}

func (n NodeShape) validate(v *ValidationError, field string) {
	if n.CPUs < MinNodeCPUs {
		v.Add(field+".cpus", "must be at least %d", MinNodeCPUs)
	}
	if n.MemoryMiB < MinNodeMemoryMiB {
		v.Add(field+".memory_mib", "must be at least %d (4 GiB)", MinNodeMemoryMiB)
	}
	if n.DiskGiB < MinNodeDiskGiB {
		v.Add(field+".disk_gib", "must be at least %d", MinNodeDiskGiB)
	}
}

func (n NetworkSpec) validate(v *ValidationError) {
	if n.IPPool == "" {
		v.Add("network.ip_pool", "is required")
	}
	pod, podErr := parseCIDR(n.PodCIDR)
	if podErr != "" {
		v.Add("network.pod_cidr", "%s", podErr)
	}
	svc, svcErr := parseCIDR(n.ServiceCIDR)
	if svcErr != "" {
		v.Add("network.service_cidr", "%s", svcErr)
	}
	if podErr == "" && svcErr == "" && pod.Overlaps(svc) {
		v.Add("network.service_cidr", "overlaps pod_cidr %s", pod)
	}
	if n.ControlPlaneEndpoint != "" {
		ip, err := netip.ParseAddr(n.ControlPlaneEndpoint)
		switch {
		case err != nil || ip.Zone() != "":
			v.Add("network.control_plane_endpoint", "must be an IP address (the control-plane virtual IP), such as 192.168.10.5")
		case ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast():
			v.Add("network.control_plane_endpoint", "%s cannot be a virtual IP", ip)
		case podErr == "" && pod.Contains(ip):
			v.Add("network.control_plane_endpoint", "is inside pod_cidr %s", pod)
		case svcErr == "" && svc.Contains(ip):
			v.Add("network.control_plane_endpoint", "is inside service_cidr %s", svc)
		}
	}
}

// CheckNodeCIDR reports a field error when the node address range overlaps the pod or
// service range of the spec.
func (n NetworkSpec) CheckNodeCIDR(v *ValidationError, nodeCIDR string) {
	node, err := netip.ParsePrefix(nodeCIDR)
	if err != nil {
		return
	}
	if pod, e := parseCIDR(n.PodCIDR); e == "" && pod.Overlaps(node) {
		v.Add("network.pod_cidr", "overlaps the node addresses %s of ip pool %s", node, n.IPPool)
	}
	if svc, e := parseCIDR(n.ServiceCIDR); e == "" && svc.Overlaps(node) {
		v.Add("network.service_cidr", "overlaps the node addresses %s of ip pool %s", node, n.IPPool)
	}
}

func parseCIDR(s string) (netip.Prefix, string) {
	p, err := netip.ParsePrefix(s)
	switch {
	case s == "":
		return p, "is required"
	case err != nil:
		return p, "must be a CIDR such as 10.244.0.0/16"
	case p.Masked() != p:
		return p, fmt.Sprintf("has host bits set; did you mean %s?", p.Masked())
	case p.Addr().Is4() && p.Bits() > 24:
		return p, "is too small: use at least a /24"
	}
	return p, ""
}

func (a AddonsSpec) validate(v *ValidationError, name string) {
	if a.Antrea != nil {
		switch a.Antrea.TrafficEncryption {
		case "", "none", "ipsec", "wireguard":
		default:
			v.Add("addons.antrea.traffic_encryption", "must be none, ipsec or wireguard")
		}
	}
	if ks := a.KubeSphere; ks != nil {
		ks.validate(v, name)
	}
}

// validate checks the KubeSphere role and, for a member, the host it registers with.
func (ks *KubeSphereSpec) validate(v *ValidationError, cluster string) {
	switch ks.Role {
	case "", KubeSphereHost:
		if ks.Host != "" {
			v.Add("addons.kubesphere.host", "is only for role member; a host is its own host")
		}
	case KubeSphereMember:
		switch {
		case !ks.Enabled:
			v.Add("addons.kubesphere.enabled", "must be true for role member: a member runs KubeSphere core too")
		case ks.Host == "":
			v.Add("addons.kubesphere.host", "is required for role member: name the KubeSphere host cluster")
		case ks.Host == cluster:
			v.Add("addons.kubesphere.host", "cannot be the cluster itself")
		default:
			checkName(v, "addons.kubesphere.host", ks.Host)
		}
	default:
		v.Add("addons.kubesphere.role", "must be host or member")
	}
}

// ControlPlanePool is the pool name that control-plane VMs are named after.
const ControlPlanePool = "cp"

// VMName is the deterministic name of node i of a pool: "<cluster>-<pool>-<i>". A retried
// or resumed provision finds the VM it made by this name instead of cloning twice.
func VMName(cluster, pool string, i int) string {
	return cluster + "-" + pool + "-" + strconv.Itoa(i)
}
