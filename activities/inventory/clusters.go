package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// Temporal error types of the cluster record activities.
const (
	ErrTypePoolExhausted   = "IPPoolExhausted"
	ErrTypeClusterNotFound = "ClusterNotFound"
	// ErrTypeVIPUnavailable: the control-plane virtual IP the spec gives is leased
	// to something else or is not an address.
	ErrTypeVIPUnavailable = "ControlPlaneVIPUnavailable"
)

// ClusterActivities keep a cluster's records while it is provisioned,
// changed and deleted: address leases, bootstrap material, phase, nodes
// and add-ons. Each is idempotent.
type ClusterActivities struct {
	Store     *inventory.Store
	Bootstrap *bootstrap.Source
}

// Addresses are the addresses leased to a cluster's nodes, by node name,
// and the control-plane endpoint that follows from them. No secrets.
type Addresses struct {
	Nodes    map[string]string `json:"nodes"`
	Endpoint string            `json:"endpoint"`
}

// AllocateAddresses leases an address from the cluster's IP pool to every
// node its spec plans (a node keeps the address it holds) and records the
// control-plane endpoint: the first control plane's address. An exhausted
// pool fails without retry.
func (a *ClusterActivities) AllocateAddresses(ctx context.Context, clusterID string) (Addresses, error) {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return Addresses{}, err
	}
	out := Addresses{Nodes: map[string]string{}}
	for _, n := range domain.PlanNodes(c.Spec) {
		ip, err := a.Store.LeaseIP(ctx, c.Spec.Network.IPPool, clusterID, n.Name)
		if errors.Is(err, domain.ErrExhausted) {
			return Addresses{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePoolExhausted, err)
		}
		if err != nil {
			return Addresses{}, fmt.Errorf("lease address for %s: %w", n.Name, err)
		}
		out.Nodes[n.Name] = ip.String()
		if n.First() {
			out.Endpoint = bootstrap.EndpointOf(ip)
		}
	}
	if err := a.Store.SetControlPlaneEndpoint(ctx, clusterID, out.Endpoint); err != nil {
		return Addresses{}, err
	}
	return out, nil
}

// AllocateControlPlaneVIP gives the cluster its control-plane virtual IP and records
// the endpoint VIP:6443 (returned), which kubeadm's controlPlaneEndpoint, every API
// server certificate and every kubeconfig then use, and which kube-vip serves on the
// control planes. The VIP is the address the spec gives (leased when it lies in the
// pool's range, so that no node gets it) or one leased from the cluster's pool; either
// lease is released with the cluster's others. Run it after AllocateAddresses, which
// records the first control plane's address as the endpoint of clusters without one.
func (a *ClusterActivities) AllocateControlPlaneVIP(ctx context.Context, clusterID string) (string, error) {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return "", err
	}
	pool, owner := c.Spec.Network.IPPool, domain.VIPLeaseOwner(c.Name)
	var vip netip.Addr
	if given := c.Spec.Network.ControlPlaneEndpoint; given != "" {
		if vip, err = netip.ParseAddr(given); err != nil {
			return "", temporal.NewNonRetryableApplicationError("network.control_plane_endpoint is not an IP address", ErrTypeVIPUnavailable, err)
		}
		_, err := a.Store.LeaseAddress(ctx, pool, clusterID, owner, vip)
		if errors.Is(err, domain.ErrConflict) {
			return "", temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeVIPUnavailable, err)
		}
		if err != nil {
			return "", fmt.Errorf("lease the control-plane virtual IP %s: %w", vip, err)
		}
	} else {
		vip, err = a.Store.LeaseIP(ctx, pool, clusterID, owner)
		if errors.Is(err, domain.ErrExhausted) {
			return "", temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePoolExhausted, err)
		}
		if err != nil {
			return "", fmt.Errorf("lease the control-plane virtual IP: %w", err)
		}
	}
	endpoint := bootstrap.EndpointOf(vip)
	if err := a.Store.SetControlPlaneEndpoint(ctx, clusterID, endpoint); err != nil {
		return "", err
	}
	return endpoint, nil
}

// ReleaseAddresses frees every address the cluster holds and returns how many.
func (a *ClusterActivities) ReleaseAddresses(ctx context.Context, clusterID string) (int64, error) {
	return a.Store.ReleaseClusterIPs(ctx, clusterID)
}

// PrepareBootstrap makes the cluster's CAs, keys, bootstrap token, SSH key,
// KubeSphere password and admin kubeconfig, sealed in the inventory (kept
// when they exist). Nothing secret leaves the activity.
func (a *ClusterActivities) PrepareBootstrap(ctx context.Context, clusterID string) error {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return err
	}
	if c.ControlPlaneEndpoint == "" {
		return temporal.NewNonRetryableApplicationError("cluster has no control-plane endpoint: allocate addresses first", "NoEndpoint", nil)
	}
	if err := a.Bootstrap.Prepare(ctx, clusterID, c.ControlPlaneEndpoint); err != nil {
		return fmt.Errorf("prepare bootstrap material of cluster %s: %w", c.Name, err)
	}
	return nil
}

// DeleteSecrets removes every secret of the cluster and returns how many.
func (a *ClusterActivities) DeleteSecrets(ctx context.Context, clusterID string) (int64, error) {
	return a.Store.DeleteClusterSecrets(ctx, clusterID)
}

// PhaseUpdate sets a cluster's phase and the reason for it.
type PhaseUpdate struct {
	ClusterID string `json:"cluster_id"`
	Phase     string `json:"phase"`
	Reason    string `json:"reason,omitempty"`
}

// SetClusterPhase records a cluster's phase.
func (a *ClusterActivities) SetClusterPhase(ctx context.Context, u PhaseUpdate) error {
	return a.Store.SetClusterPhase(ctx, u.ClusterID, u.Phase, u.Reason)
}

// NodeRecord is what provisioning records about one node (workflows name it here, as
// they never import the store).
type NodeRecord = inventory.NodeRecord

// NodesUpdate is the observed state of some of a cluster's nodes.
type NodesUpdate struct {
	ClusterID string       `json:"cluster_id"`
	Nodes     []NodeRecord `json:"nodes"`
}

// RecordNodes records nodes of a cluster (created or updated by name).
func (a *ClusterActivities) RecordNodes(ctx context.Context, u NodesUpdate) error {
	for _, n := range u.Nodes {
		n.ClusterID = u.ClusterID
		if err := a.Store.UpsertNode(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// DeleteNodes removes the records of every node of a cluster.
func (a *ClusterActivities) DeleteNodes(ctx context.Context, clusterID string) error {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return err
	}
	for _, n := range c.Nodes {
		if err := a.Store.DeleteNode(ctx, clusterID, n.Name); err != nil {
			return err
		}
	}
	return nil
}

// AddonUpdate is the state of one add-on of a cluster.
type AddonUpdate struct {
	ClusterID string       `json:"cluster_id"`
	Addon     domain.Addon `json:"addon"`
	Chart     string       `json:"chart"`
	Message   string       `json:"message,omitempty"`
}

// RecordAddon records the state of an add-on.
func (a *ClusterActivities) RecordAddon(ctx context.Context, u AddonUpdate) error {
	return a.Store.UpsertAddon(ctx, u.ClusterID, u.Addon, u.Chart, u.Message)
}

// cluster reads a cluster; an unknown one fails without retry.
func (a *ClusterActivities) cluster(ctx context.Context, clusterID string) (domain.Cluster, error) {
	c, err := a.Store.GetClusterByID(ctx, clusterID)
	if errors.Is(err, domain.ErrNotFound) {
		return c, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeClusterNotFound, err)
	}
	return c, err
}

// KubeSphereMembership is the KubeSphere host a cluster was provisioned as a member of.
type KubeSphereMembership struct {
	// Member is the cluster's name.
	Member string `json:"member"`
	// Host is the host's name from the member's spec; "" when the spec names none.
	Host string `json:"host,omitempty"`
	// HostID is the live host's inventory id; "" when no live cluster has that name.
	HostID string `json:"host_id,omitempty"`
}

// KubeSphereHostOf returns the KubeSphere host that the cluster's spec makes it a
// member of, and the host's id while it lives.
func (a *ClusterActivities) KubeSphereHostOf(ctx context.Context, clusterID string) (KubeSphereMembership, error) {
	c, err := a.cluster(ctx, clusterID)
	if err != nil {
		return KubeSphereMembership{}, err
	}
	m := KubeSphereMembership{Member: c.Name, Host: c.Spec.KubeSphereHost()}
	if m.Host == "" {
		return m, nil
	}
	host, err := a.Store.GetCluster(ctx, m.Host)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return m, nil
	case err != nil:
		return m, fmt.Errorf("kubesphere host %s of cluster %s: %w", m.Host, c.Name, err)
	}
	m.HostID = host.ID
	return m, nil
}
