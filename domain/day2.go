package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Day-2 operations that change a cluster's nodes.
const (
	// OpUpgradeCluster upgrades a cluster's Kubernetes one minor version, node by node.
	OpUpgradeCluster = "cluster.upgrade"
	// OpScaleCluster changes the replicas of a worker pool, adding or removing the pool.
	OpScaleCluster = "cluster.scale"
	// OpReplaceNode replaces one node by a new VM: the new one joins, the old one goes.
	OpReplaceNode = "cluster.node-replace"
)

// Drain timeouts: how long a drain may wait for PodDisruptionBudgets to allow each
// eviction before the step fails and the operation waits for a decision.
const (
	DefaultDrainTimeout = 10 * time.Minute
	MinDrainTimeout     = 5 * time.Second
	MaxDrainTimeout     = 24 * time.Hour
)

// UpgradeRequest is the body of POST /api/v1/clusters/{name}/upgrade.
type UpgradeRequest struct {
	KubernetesVersion string `json:"kubernetes_version"`
	// Backup says whether an etcd backup is taken first (the default: true).
	Backup *bool `json:"backup,omitempty"`
	// MaxUnavailable is how many workers are upgraded at a time (default 1).
	MaxUnavailable int `json:"max_unavailable,omitempty"`
	// DrainTimeout is a Go duration ("10m", the default).
	DrainTimeout string `json:"drain_timeout,omitempty"`
	// Template is the node template of nodes made after the upgrade; see UpgradeTemplate.
	Template string `json:"template,omitempty"`
}

// ScaleRequest is the body of POST /api/v1/clusters/{name}/scale: a worker pool's
// new replica count. A pool the cluster lacks is added with the shape given (each
// field defaulting to the cluster's first pool's, else the control plane's); replicas
// 0 removes a pool.
type ScaleRequest struct {
	Pool         string `json:"pool"`
	Replicas     *int   `json:"replicas"`
	CPUs         int    `json:"cpus,omitempty"`
	MemoryMiB    int    `json:"memory_mib,omitempty"`
	DiskGiB      int    `json:"disk_gib,omitempty"`
	DrainTimeout string `json:"drain_timeout,omitempty"`
}

// ReplaceRequest is the (optional) body of POST /api/v1/clusters/{name}/nodes/{node}/replace.
type ReplaceRequest struct {
	DrainTimeout string `json:"drain_timeout,omitempty"`
}

// UpgradePlan is a checked upgrade: what the workflow does.
type UpgradePlan struct {
	From           string        `json:"from"`
	To             string        `json:"to"`
	Backup         bool          `json:"backup"`
	MaxUnavailable int           `json:"max_unavailable"`
	DrainTimeout   time.Duration `json:"drain_timeout"`
	// Template is the node template recorded with the new version.
	Template string `json:"template,omitempty"`
}

// ScalePlan is a checked scale request: the pool as it is to be (Replicas 0 removes it).
type ScalePlan struct {
	Pool         WorkerPool    `json:"pool"`
	Added        bool          `json:"added"` // the cluster has no such pool yet
	From         int           `json:"from"`  // replicas before
	DrainTimeout time.Duration `json:"drain_timeout"`
}

// CheckUpgrade checks an upgrade of cluster c and returns its plan, or a
// *ValidationError naming the bad fields. Kubernetes upgrades one minor version at a
// time (kubeadm's version skew policy): the target is a supported version of the next
// minor, or a newer patch of the same minor.
func CheckUpgrade(c Cluster, r UpgradeRequest) (UpgradePlan, error) {
	var v ValidationError
	from, to := c.Spec.KubernetesVersion, r.KubernetesVersion
	plan := UpgradePlan{From: from, To: to, Backup: r.Backup == nil || *r.Backup, MaxUnavailable: r.MaxUnavailable}
	switch {
	case to == "":
		v.Add("kubernetes_version", "is required")
	case !SupportedVersion(to):
		v.Add("kubernetes_version", "%q is not supported; supported: %v", to, supportedVersions)
	case to == from:
		v.Add("kubernetes_version", "cluster %s already runs %s", c.Name, from)
	default:
		if err := upgradeSkew(from, to); err != "" {
			v.Add("kubernetes_version", "%s", err)
		}
	}
	workers := 0
	for _, p := range c.Spec.WorkerPools {
		workers += p.Replicas
	}
	switch {
	case plan.MaxUnavailable == 0:
		plan.MaxUnavailable = 1
	case plan.MaxUnavailable < 0 || plan.MaxUnavailable > max(workers, 1):
		v.Add("max_unavailable", "must be from 1 to the number of workers (%d)", max(workers, 1))
	}
	plan.DrainTimeout = drainTimeout(&v, r.DrainTimeout)
	plan.Template = UpgradeTemplate(c.Spec.Placement.Template, from, to, r.Template)
	if len(plan.Template) > 80 {
		v.Add("template", "must be at most 80 characters")
	}
	return plan, v.Err()
}

// UpgradeTemplate is the node template of a cluster upgraded from version from to to:
// the one the request names, else — when the current template is named for from's
// minor ("ubuntu-2404-kube-v1.36") — the one named for to's, else the current one.
func UpgradeTemplate(current, from, to, requested string) string {
	if requested != "" {
		return requested
	}
	old, next := "v"+KubernetesMinor(from), "v"+KubernetesMinor(to)
	if old == next || !strings.HasSuffix(current, old) {
		return current
	}
	return strings.TrimSuffix(current, old) + next
}

// upgradeSkew says why from cannot be upgraded to to in one step, or "".
func upgradeSkew(from, to string) string {
	fMaj, fMin, fPatch, ok1 := splitVersion(from)
	tMaj, tMin, tPatch, ok2 := splitVersion(to)
	switch {
	case !ok1 || !ok2:
		return fmt.Sprintf("cannot compare %q with the cluster's version %q", to, from)
	case tMaj != fMaj || tMin < fMin || (tMin == fMin && tPatch < fPatch):
		return fmt.Sprintf("%s is older than the cluster's version %s: Kubernetes is not downgraded", to, from)
	case tMin > fMin+1:
		return fmt.Sprintf("%s skips a minor version: the cluster runs %s and upgrades one minor at a time (next: v%d.%d)", to, from, fMaj, fMin+1)
	}
	return ""
}

// splitVersion parses "v1.36.5".
func splitVersion(v string) (major, minor, patch int, ok bool) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return 0, 0, 0, false
		}
		n[i] = x
	}
	return n[0], n[1], n[2], true
}

// UpgradeTargets lists the supported versions cluster version v can be upgraded to in
// one step, oldest first: what the portal offers.
func UpgradeTargets(v string) []string {
	var out []string
	for _, to := range supportedVersions {
		if to != v && upgradeSkew(v, to) == "" {
			out = append(out, to)
		}
	}
	return out
}

// CheckScale checks a scale request on cluster c and returns its plan, or a
// *ValidationError naming the bad fields. The control plane is not scaled (replace its
// nodes instead); the cluster keeps at least one worker.
func CheckScale(c Cluster, r ScaleRequest) (ScalePlan, error) {
	var v ValidationError
	plan := ScalePlan{}
	switch {
	case r.Pool == "":
		v.Add("pool", "is required")
	case r.Pool == ControlPlanePool:
		v.Add("pool", "%q is the control plane, which is not scaled: replace its nodes one at a time", r.Pool)
	default:
		checkName(&v, "pool", r.Pool)
	}
	i := slices.IndexFunc(c.Spec.WorkerPools, func(p WorkerPool) bool { return p.Name == r.Pool })
	if i >= 0 {
		plan.Pool, plan.From = c.Spec.WorkerPools[i], c.Spec.WorkerPools[i].Replicas
		for _, f := range []struct {
			field     string
			got, have int
		}{{"cpus", r.CPUs, plan.Pool.CPUs}, {"memory_mib", r.MemoryMiB, plan.Pool.MemoryMiB}, {"disk_gib", r.DiskGiB, plan.Pool.DiskGiB}} {
			if f.got != 0 && f.got != f.have {
				v.Add(f.field, "pool %s has %d; an existing pool's shape is not changed by scaling", r.Pool, f.have)
			}
		}
	} else {
		plan.Added = true
		shape := c.Spec.ControlPlane
		if len(c.Spec.WorkerPools) > 0 {
			shape = c.Spec.WorkerPools[0].NodeShape
		}
		plan.Pool = WorkerPool{Name: r.Pool, NodeShape: NodeShape{
			CPUs: cmpOr(r.CPUs, shape.CPUs), MemoryMiB: cmpOr(r.MemoryMiB, shape.MemoryMiB), DiskGiB: cmpOr(r.DiskGiB, shape.DiskGiB)}}
		if r.Pool != "" && r.Pool != ControlPlanePool {
			plan.Pool.NodeShape.validate(&v, "")
			for j := range v.Fields {
				v.Fields[j].Field = strings.TrimPrefix(v.Fields[j].Field, ".")
			}
			if len(VMName(c.Name, r.Pool, MaxPoolReplicas)) > 63 {
				v.Add("pool", "is too long together with the cluster name: node names must fit 63 characters")
			}
		}
	}
	switch {
	case r.Replicas == nil:
		v.Add("replicas", "is required")
	case *r.Replicas < 0 || *r.Replicas > MaxPoolReplicas:
		v.Add("replicas", "must be from 0 to %d", MaxPoolReplicas)
	case plan.Added && *r.Replicas == 0:
		v.Add("replicas", "pool %s does not exist; 0 replicas would add nothing", r.Pool)
	case !plan.Added && *r.Replicas == plan.From:
		v.Add("replicas", "pool %s already has %d", r.Pool, plan.From)
	default:
		plan.Pool.Replicas = *r.Replicas
		others := 0
		for _, p := range c.Spec.WorkerPools {
			if p.Name != r.Pool {
				others += p.Replicas
			}
		}
		if others+plan.Pool.Replicas < 1 {
			v.Add("replicas", "the cluster must keep at least one worker")
		}
	}
	plan.DrainTimeout = drainTimeout(&v, r.DrainTimeout)
	return plan, v.Err()
}

// CheckReplace checks the replacement of node of cluster c and returns the drain
// timeout, or a *ValidationError.
func CheckReplace(c Cluster, node string, r ReplaceRequest) (Node, time.Duration, error) {
	var v ValidationError
	i := slices.IndexFunc(c.Nodes, func(n Node) bool { return n.Name == node })
	if i < 0 {
		v.Add("node", "cluster %s has no node %q", c.Name, node)
	}
	timeout := drainTimeout(&v, r.DrainTimeout)
	if err := v.Err(); err != nil {
		return Node{}, 0, err
	}
	return c.Nodes[i], timeout, nil
}

// drainTimeout parses a drain timeout ("" is the default) and records a bad one.
func drainTimeout(v *ValidationError, s string) time.Duration {
	if s == "" {
		return DefaultDrainTimeout
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < MinDrainTimeout || d > MaxDrainTimeout {
		v.Add("drain_timeout", "must be a duration from %s to %s, like \"10m\"", MinDrainTimeout, MaxDrainTimeout)
		return 0
	}
	return d
}

// cmpOr is a when it is set, else b.
func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// NextNodeIndex is the index of a new node of pool among the names it has: the
// lowest free index for a worker pool (scaling down removes the newest, highest,
// first), one past the highest for the control plane, so that index 0 — the node that
// ran `kubeadm init` — is never made again.
func NextNodeIndex(cluster, pool string, names []string) int {
	used := map[int]bool{}
	highest := -1
	for _, n := range names {
		if i, ok := NodeIndex(cluster, pool, n); ok {
			used[i] = true
			highest = max(highest, i)
		}
	}
	if pool == ControlPlanePool {
		return highest + 1
	}
	i := 0
	for used[i] {
		i++
	}
	return i
}

// NodeIndex parses a node name made by VMName for cluster and pool.
func NodeIndex(cluster, pool, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, cluster+"-"+pool+"-")
	if !ok || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 {
		return 0, false
	}
	return i, true
}

// ParseNodeName splits a node name made by VMName for cluster into its pool and index.
func ParseNodeName(cluster, name string) (pool string, index int, ok bool) {
	rest, ok := strings.CutPrefix(name, cluster+"-")
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", 0, false
	}
	index, ok = NodeIndex(cluster, rest[:i], name)
	return rest[:i], index, ok
}

// PlanNode is the planned node name of cluster spec: its pool, role and shape follow
// from the name (see VMName); ok is false for a name that names no pool of spec.
func PlanNode(spec ClusterSpec, name string) (PlannedNode, bool) {
	pool, i, ok := ParseNodeName(spec.Name, name)
	if !ok {
		return PlannedNode{}, false
	}
	if pool == ControlPlanePool {
		return PlannedNode{Name: name, Pool: pool, Role: RoleNameControlPlane, Index: i, Shape: spec.ControlPlane}, true
	}
	for _, p := range spec.WorkerPools {
		if p.Name == pool {
			return PlannedNode{Name: name, Pool: pool, Role: RoleNameWorker, Index: i, Shape: p.NodeShape}, true
		}
	}
	return PlannedNode{}, false
}
