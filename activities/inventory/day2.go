package inventory

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
)

// NodeRef names one node of a cluster.
type NodeRef struct {
	ClusterID string `json:"cluster_id"`
	Node      string `json:"node"`
}

// NodeStateUpdate is what a node's kubelet reports after a change.
type NodeStateUpdate struct {
	ClusterID      string `json:"cluster_id"`
	Node           string `json:"node"`
	KubeletVersion string `json:"kubelet_version"`
	Ready          bool   `json:"ready"`
}

// VersionUpdate is the Kubernetes version a cluster's control plane runs, and the node
// template of nodes made from now on (empty: unchanged).
type VersionUpdate struct {
	ClusterID string `json:"cluster_id"`
	Version   string `json:"version"`
	Template  string `json:"template,omitempty"`
}

// PoolUpdate is a worker pool as it now is (no replicas: removed).
type PoolUpdate struct {
	ClusterID string            `json:"cluster_id"`
	Pool      domain.WorkerPool `json:"pool"`
}

// ClusterNodes returns the cluster's recorded nodes, by name.
func (a *ClusterActivities) ClusterNodes(ctx context.Context, clusterID string) ([]domain.Node, error) {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	return c.Nodes, nil
}

// RecordNodeState records a node's kubelet version and readiness.
func (a *ClusterActivities) RecordNodeState(ctx context.Context, u NodeStateUpdate) error {
	return a.Store.SetNodeState(ctx, u.ClusterID, u.Node, u.KubeletVersion, u.Ready)
}

// RecordKubernetesVersion records the version the cluster's control plane runs in its spec.
func (a *ClusterActivities) RecordKubernetesVersion(ctx context.Context, u VersionUpdate) error {
	return a.Store.SetKubernetesVersion(ctx, u.ClusterID, u.Version, u.Template)
}

// RecordWorkerPool records a worker pool's replicas (and shape, for a new one) in the
// cluster's spec; a pool with no replicas is removed.
func (a *ClusterActivities) RecordWorkerPool(ctx context.Context, u PoolUpdate) error {
	return a.Store.SetWorkerPool(ctx, u.ClusterID, u.Pool)
}

// LeaseNodeAddress leases an address of the cluster's pool to a new node (the one it
// holds, when it has one) and returns it. An exhausted pool fails without retry.
func (a *ClusterActivities) LeaseNodeAddress(ctx context.Context, n NodeRef) (string, error) {
	c, err := a.cluster(ctx, n.ClusterID)
	if err != nil {
		return "", err
	}
	ip, err := a.Store.LeaseIP(ctx, c.Spec.Network.IPPool, n.ClusterID, n.Node)
	if errors.Is(err, domain.ErrExhausted) {
		return "", temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePoolExhausted, err)
	}
	if err != nil {
		return "", fmt.Errorf("lease address for %s: %w", n.Node, err)
	}
	return ip.String(), nil
}

// ForgetNode releases a removed node's address lease and deletes its record.
func (a *ClusterActivities) ForgetNode(ctx context.Context, n NodeRef) error {
	c, err := a.cluster(ctx, n.ClusterID)
	if err != nil {
		return err
	}
	if err := a.Store.ReleaseIP(ctx, c.Spec.Network.IPPool, n.Node); err != nil {
		return err
	}
	return a.Store.DeleteNode(ctx, n.ClusterID, n.Node)
}

// ClusterFacts is what a Day-2 node operation reads of a cluster before it starts: no
// secrets.
type ClusterFacts struct {
	Name  string             `json:"name"`
	Spec  domain.ClusterSpec `json:"spec"`
	Nodes []domain.Node      `json:"nodes"`
	// ClusterSet is the ClusterSet the cluster is in (its name), if any: its gateway
	// role moves off a node before the node drains.
	ClusterSet   string `json:"clusterset,omitempty"`
	ClusterSetID string `json:"clusterset_id,omitempty"`
}

// ByRole splits the recorded nodes into control planes and workers, by name.
func (f ClusterFacts) ByRole() (controlPlanes, workers []domain.Node) {
	for _, n := range f.Nodes {
		if n.Role == domain.RoleNameControlPlane {
			controlPlanes = append(controlPlanes, n)
		} else {
			workers = append(workers, n)
		}
	}
	return controlPlanes, workers
}

// ReadClusterFacts reads a cluster's spec (defaults filled), recorded nodes and
// ClusterSet.
func (a *ClusterActivities) ReadClusterFacts(ctx context.Context, clusterID string) (ClusterFacts, error) {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return ClusterFacts{}, err
	}
	c.Spec.Defaults()
	f := ClusterFacts{Name: c.Name, Spec: c.Spec, Nodes: c.Nodes}
	ref, err := a.Store.ClusterSetOf(ctx, clusterID)
	if err != nil {
		return ClusterFacts{}, err
	}
	if ref == nil {
		return f, nil
	}
	set, err := a.Store.GetClusterSet(ctx, ref.Name)
	if err != nil {
		return ClusterFacts{}, err
	}
	f.ClusterSet, f.ClusterSetID = set.Name, set.ID
	return f, nil
}
