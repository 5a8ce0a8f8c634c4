package inventory

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// ErrTypeClusterSetNotFound is the error type of a set that is no longer recorded.
const ErrTypeClusterSetNotFound = "ClusterSetNotFound"

// ClusterSetActivities keep a ClusterSet's records while it is formed, joined, left and
// disbanded. Each is idempotent.
type ClusterSetActivities struct {
	Store *inventory.Store
}

// ClusterSetPlan is what the ClusterSet workflows need of a recorded set and its
// clusters: names, ids and settings, no secrets.
type ClusterSetPlan struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Leader string `json:"leader"` // the leader's name
	// Clusters are the set's members, the leader first.
	Clusters            []SetCluster `json:"clusters"`
	GatewayIPPrecedence string       `json:"gateway_ip_precedence,omitempty"`
	EndpointIPType      string       `json:"endpoint_ip_type,omitempty"`
}

// SetCluster is one cluster of a set as the workflows use it.
type SetCluster struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	State     string           `json:"state"`
	VCenterID string           `json:"vcenter_id"`
	Placement domain.Placement `json:"placement"`
	// PodCIDR and ServiceCIDR are the cluster's, from its spec.
	PodCIDR     string `json:"pod_cidr"`
	ServiceCIDR string `json:"service_cidr"`
	// Multicluster is true when its Antrea runs the Multicluster feature gate.
	Multicluster bool `json:"multicluster"`
	// Gateways are the gateway candidates the request named; empty: chosen.
	Gateways []string `json:"gateways,omitempty"`
	// KubeSphereHost is the KubeSphere host the cluster was provisioned as a member
	// of, if any: that registration outlives the cluster's time in the set.
	KubeSphereHost string `json:"kubesphere_host,omitempty"`
}

// Cluster returns the set's cluster named name.
func (p ClusterSetPlan) Cluster(name string) (SetCluster, bool) {
	for _, c := range p.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	return SetCluster{}, false
}

// LoadClusterSet reads a recorded set and its clusters.
func (a *ClusterSetActivities) LoadClusterSet(ctx context.Context, setID string) (ClusterSetPlan, error) {
	set, err := a.Store.GetClusterSetByID(ctx, setID)
	if errors.Is(err, domain.ErrNotFound) {
		return ClusterSetPlan{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeClusterSetNotFound, err)
	}
	if err != nil {
		return ClusterSetPlan{}, err
	}
	plan := ClusterSetPlan{ID: set.ID, Name: set.Name, Leader: set.Leader,
		GatewayIPPrecedence: set.Spec.GatewayIPPrecedence, EndpointIPType: set.Spec.EndpointIPType}
	for _, m := range set.Members {
		c, err := a.Store.GetClusterByID(ctx, m.ClusterID)
		if err != nil {
			return ClusterSetPlan{}, fmt.Errorf("cluster %s of clusterset %s: %w", m.Cluster, set.Name, err)
		}
		plan.Clusters = append(plan.Clusters, SetCluster{
			ID: c.ID, Name: c.Name, State: m.State, VCenterID: c.VCenterID, Placement: c.Spec.Placement,
			PodCIDR: c.Spec.Network.PodCIDR, ServiceCIDR: c.Spec.Network.ServiceCIDR,
			Multicluster:   c.Spec.Addons.Antrea != nil && c.Spec.Addons.Antrea.Multicluster,
			Gateways:       set.Spec.Gateways[c.Name],
			KubeSphereHost: c.Spec.KubeSphereHost(),
		})
	}
	return plan, nil
}

// SetPhaseUpdate is a new phase of a set.
type SetPhaseUpdate struct {
	SetID  string `json:"set_id"`
	Phase  string `json:"phase"`
	Reason string `json:"reason,omitempty"`
}

// SetClusterSetPhase records a set's phase.
func (a *ClusterSetActivities) SetClusterSetPhase(ctx context.Context, u SetPhaseUpdate) error {
	return a.Store.SetClusterSetPhase(ctx, u.SetID, u.Phase, u.Reason)
}

// MemberUpdate is what an operation observed of one member.
type MemberUpdate struct {
	SetID     string                        `json:"set_id"`
	ClusterID string                        `json:"cluster_id"`
	State     string                        `json:"state"`
	Status    domain.ClusterSetMemberStatus `json:"status"`
}

// RecordMembers records the state and status of members of a set.
func (a *ClusterSetActivities) RecordMembers(ctx context.Context, updates []MemberUpdate) error {
	for _, u := range updates {
		if err := a.Store.SetClusterSetMemberState(ctx, u.SetID, u.ClusterID, u.State, u.Status.Message); err != nil {
			return err
		}
		if err := a.Store.RecordClusterSetMemberStatus(ctx, u.SetID, u.ClusterID, u.Status); err != nil {
			return err
		}
	}
	return nil
}

// MemberRef names one member of a set.
type MemberRef struct {
	SetID     string `json:"set_id"`
	ClusterID string `json:"cluster_id"`
}

// RemoveMember removes a member (never the leader) from a set's records.
func (a *ClusterSetActivities) RemoveMember(ctx context.Context, m MemberRef) error {
	return a.Store.RemoveClusterSetMember(ctx, m.SetID, m.ClusterID)
}

// DeleteClusterSet records a set as gone: its clusters are free and its name too.
func (a *ClusterSetActivities) DeleteClusterSet(ctx context.Context, setID string) error {
	return a.Store.DeleteClusterSet(ctx, setID)
}

// EnableAntreaMulticluster records that the cluster's Antrea runs the Multicluster
// feature gate; it reports whether the record changed.
func (a *ClusterSetActivities) EnableAntreaMulticluster(ctx context.Context, clusterID string) (bool, error) {
	return a.Store.EnableAntreaMulticluster(ctx, clusterID)
}

// ClusterSetOfCluster returns the id of the set a cluster is in and whether it leads it;
// empty when it is in none.
func (a *ClusterSetActivities) ClusterSetOfCluster(ctx context.Context, clusterID string) (ClusterMembership, error) {
	ref, err := a.Store.ClusterSetOf(ctx, clusterID)
	if err != nil || ref == nil {
		return ClusterMembership{}, err
	}
	set, err := a.Store.GetClusterSet(ctx, ref.Name)
	if err != nil {
		return ClusterMembership{}, err
	}
	return ClusterMembership{SetID: set.ID, Set: set.Name, Leader: ref.Leader, Members: len(set.Members)}, nil
}

// ClusterMembership says which set a cluster is in.
type ClusterMembership struct {
	SetID   string `json:"set_id,omitempty"`
	Set     string `json:"set,omitempty"` // the set's name
	Leader  bool   `json:"leader,omitempty"`
	Members int    `json:"members,omitempty"` // how many clusters the set has, the leader included
}

// MemberGatewayUpdate is a member's Gateway after it moved.
type MemberGatewayUpdate struct {
	SetID     string               `json:"set_id"`
	ClusterID string               `json:"cluster_id"`
	Gateway   domain.MemberGateway `json:"gateway"`
}

// RecordMemberGateway records a member's active Gateway and candidates.
func (a *ClusterSetActivities) RecordMemberGateway(ctx context.Context, u MemberGatewayUpdate) error {
	return a.Store.SetClusterSetMemberGateway(ctx, u.SetID, u.ClusterID, u.Gateway)
}
