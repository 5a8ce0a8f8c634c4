package domain

// Resources are what clusters take, in the units of Quotas.
type Resources struct {
	Clusters  int64 `json:"clusters"`
	VCPUs     int64 `json:"vcpus"`
	MemoryMiB int64 `json:"memory_mib"`
	DiskGiB   int64 `json:"disk_gib"`
	Nodes     int64 `json:"nodes"`
}

// Add returns r plus o.
func (r Resources) Add(o Resources) Resources {
	return Resources{Clusters: r.Clusters + o.Clusters, VCPUs: r.VCPUs + o.VCPUs, MemoryMiB: r.MemoryMiB + o.MemoryMiB,
		DiskGiB: r.DiskGiB + o.DiskGiB, Nodes: r.Nodes + o.Nodes}
}

// SpecResources is what one cluster of spec takes: one cluster, and the vCPUs, memory,
// disk and count of its control-plane nodes and of every worker pool's nodes. The
// inventory sums the same over a project's clusters in SQL (see inventory.ProjectUsage).
func SpecResources(spec ClusterSpec) Resources {
	r := Resources{Clusters: 1}
	add := func(n NodeShape) {
		c := int64(n.Replicas)
		r.Nodes += c
		r.VCPUs += c * int64(n.CPUs)
		r.MemoryMiB += c * int64(n.MemoryMiB)
		r.DiskGiB += c * int64(n.DiskGiB)
	}
	add(spec.ControlPlane)
	for _, p := range spec.WorkerPools {
		add(p.NodeShape)
	}
	return r
}

// ProjectUsage is what a project holds now: the resources its live clusters' specs
// take, and its live ClusterSets; and, apart, what its active operations reserve beyond
// what the specs count (the nodes a scale or a replacement is adding). The quota check
// counts both.
type ProjectUsage struct {
	Project string `json:"project"`
	Resources
	ClusterSets int64 `json:"clustersets"`
	// Reserved is what the project's active operations reserve (see
	// ScaleReservation and ReplaceReservation).
	Reserved Resources `json:"reserved"`
}
