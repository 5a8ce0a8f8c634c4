package domain

import (
	"fmt"
	"strings"
)

// QuotaError says that a request would take a project over one or more of its quotas.
// Fields names each quota exceeded ("quotas.vcpus", ...) with the numbers; the API
// answers 422 with them.
type QuotaError struct {
	Project string
	Fields  []FieldError
}

func (e *QuotaError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "over quota: " + strings.Join(parts, "; ")
}

// IsZero reports whether r takes nothing.
func (r Resources) IsZero() bool { return r == Resources{} }

// NodesResources is what n nodes of shape take (no cluster).
func NodesResources(shape NodeShape, n int) Resources {
	c := int64(max(n, 0))
	return Resources{Nodes: c, VCPUs: c * int64(shape.CPUs), MemoryMiB: c * int64(shape.MemoryMiB), DiskGiB: c * int64(shape.DiskGiB)}
}

// ScaleReservation is what a scale reserves of its project's quotas while it runs: the
// nodes it adds, which the cluster's spec counts only once they are recorded (the
// record-pool step). A scale down reserves nothing: its nodes leave the spec as they go.
func ScaleReservation(plan ScalePlan) Resources {
	return NodesResources(plan.Pool.NodeShape, plan.Pool.Replicas-plan.From)
}

// ReplaceReservation is what the replacement of node of a cluster of spec reserves
// while it runs: the new VM of the node's pool, which joins before the old one goes (the
// spec counts the pool's replicas, not the surge). A node of no pool of spec reserves
// nothing.
func ReplaceReservation(spec ClusterSpec, node Node) Resources {
	if node.Role == RoleNameControlPlane || node.Pool == ControlPlanePool {
		return NodesResources(spec.ControlPlane, 1)
	}
	for _, p := range spec.WorkerPools {
		if p.Name == node.Pool {
			return NodesResources(p.NodeShape, 1)
		}
	}
	return Resources{}
}

// quotaDimension is one quota as CheckQuotas reads it.
type quotaDimension struct {
	field  string
	limit  *int64
	value  func(Resources) int64 // the quota's quantity in a Resources
	amount func(int64) string    // a quantity with its unit, for messages
}

// CheckQuotas checks a request that asks for asks in project, which holds holds (its
// live clusters' specs) and of which active operations reserve reserved, against the
// project's quotas q. It returns nil, or a *QuotaError with one field for each quota
// the request would exceed. Only what the request takes more of is checked, so that a
// project left over a lowered quota is still allowed what takes no more of it.
func CheckQuotas(project string, q Quotas, holds, reserved, asks Resources) error {
	dims := []quotaDimension{
		{"quotas.clusters", q.Clusters, func(r Resources) int64 { return r.Clusters }, func(n int64) string { return plural(n, "cluster", "clusters") }},
		{"quotas.vcpus", q.VCPUs, func(r Resources) int64 { return r.VCPUs }, func(n int64) string { return plural(n, "vCPU", "vCPUs") }},
		{"quotas.memory_mib", q.MemoryMiB, func(r Resources) int64 { return r.MemoryMiB }, func(n int64) string { return fmt.Sprintf("%d MiB of memory", n) }},
		{"quotas.disk_gib", q.DiskGiB, func(r Resources) int64 { return r.DiskGiB }, func(n int64) string { return fmt.Sprintf("%d GiB of disk", n) }},
		{"quotas.nodes", q.Nodes, func(r Resources) int64 { return r.Nodes }, func(n int64) string { return plural(n, "node", "nodes") }},
	}
	e := &QuotaError{Project: project}
	for _, d := range dims {
		value := d.value
		ask := value(asks)
		if d.limit == nil || ask <= 0 {
			continue
		}
		held, res := value(holds), value(reserved)
		total := held + res + ask
		if total <= *d.limit {
			continue
		}
		now := fmt.Sprintf("holds %d", held+res)
		if res > 0 {
			now = fmt.Sprintf("holds %d, running operations reserve %d", held, res)
		}
		e.Fields = append(e.Fields, FieldError{Field: d.field, Message: fmt.Sprintf("project %s would hold %s, over its quota of %d (%s, this asks %d)",
			project, d.amount(total), *d.limit, now, ask)})
	}
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Limited reports whether any quota of q is set.
func (q Quotas) Limited() bool {
	return q.Clusters != nil || q.VCPUs != nil || q.MemoryMiB != nil || q.DiskGiB != nil || q.Nodes != nil
}
