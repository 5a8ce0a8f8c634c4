package domain

// Node roles, as the API reports them.
const (
	RoleNameControlPlane = "control-plane"
	RoleNameWorker       = "worker"
)

// PlannedNode is one node that a cluster's spec asks for: its deterministic
// VM and host name, its pool and its shape.
type PlannedNode struct {
	Name  string    `json:"name"`
	Pool  string    `json:"pool"`
	Role  string    `json:"role"` // RoleNameControlPlane or RoleNameWorker
	Index int       `json:"index"`
	Shape NodeShape `json:"shape"`
}

// First reports whether n is the first control plane, the one that runs
// `kubeadm init`.
func (n PlannedNode) First() bool { return n.Role == RoleNameControlPlane && n.Index == 0 }

// PlanNodes lists the nodes of spec in the order they are created: control
// planes first, then each worker pool in spec order. It is deterministic,
// so workflows may call it.
func PlanNodes(spec ClusterSpec) []PlannedNode {
	var nodes []PlannedNode
	for i := range spec.ControlPlane.Replicas {
		nodes = append(nodes, PlannedNode{Name: VMName(spec.Name, ControlPlanePool, i), Pool: ControlPlanePool,
			Role: RoleNameControlPlane, Index: i, Shape: spec.ControlPlane})
	}
	for _, p := range spec.WorkerPools {
		for i := range p.Replicas {
			nodes = append(nodes, PlannedNode{Name: VMName(spec.Name, p.Name, i), Pool: p.Name,
				Role: RoleNameWorker, Index: i, Shape: p.NodeShape})
		}
	}
	return nodes
}
