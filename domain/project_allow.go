package domain

// CheckSpec checks a cluster spec against the project's allow-lists and returns a
// *ValidationError naming each field that uses what the project does not allow: the
// vCenter ("vcenter"), the IP pool ("network.ip_pool"), the datacenter and compute
// cluster on that vCenter ("placement.compute_cluster"), or nil.
func (p Project) CheckSpec(spec ClusterSpec) error {
	var v ValidationError
	if !p.AllowsVCenter(spec.VCenter) {
		v.Add("vcenter", "project %s does not allow vCenter %q", p.Name, spec.VCenter)
	}
	if !p.AllowsIPPool(spec.Network.IPPool) {
		v.Add("network.ip_pool", "project %s does not allow IP pool %q", p.Name, spec.Network.IPPool)
	}
	if !p.AllowsPlacement(spec.VCenter, spec.Placement) {
		v.Add("placement.compute_cluster", "project %s does not allow placement on %s", p.Name,
			PlacementScope{VCenter: spec.VCenter, Datacenter: spec.Placement.Datacenter, ComputeCluster: spec.Placement.ComputeCluster})
	}
	return v.Err()
}
