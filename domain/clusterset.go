package domain

import (
	"encoding/json"
	"reflect"
	"time"
)

// ClusterSet phases.
const (
	ClusterSetPending    = "Pending"
	ClusterSetForming    = "Forming"
	ClusterSetReady      = "Ready"
	ClusterSetDegraded   = "Degraded" // formed, but a member is not ready
	ClusterSetUpdating   = "Updating" // a member joins or leaves
	ClusterSetDisbanding = "Disbanding"
	ClusterSetFailed     = "Failed"
)

// ClusterSetPhases lists every phase of a ClusterSet.
var ClusterSetPhases = []string{ClusterSetPending, ClusterSetForming, ClusterSetReady, ClusterSetDegraded,
	ClusterSetUpdating, ClusterSetDisbanding, ClusterSetFailed}

// States of one member of a ClusterSet.
const (
	MemberJoining = "Joining"
	MemberJoined  = "Joined"
	MemberLeaving = "Leaving"
	MemberFailed  = "Failed"
)

// MemberStates lists every state of a ClusterSet member.
var MemberStates = []string{MemberJoining, MemberJoined, MemberLeaving, MemberFailed}

// Values of ClusterSetSpec.GatewayIPPrecedence and EndpointIPType, as Antrea's
// MultiClusterConfig takes them.
const (
	GatewayIPPrivate      = "private"
	GatewayIPPublic       = "public"
	EndpointIPTypeCluster = "ClusterIP"
	EndpointIPTypePod     = "PodIP"
)

// ClusterSetSpec is the body of POST /api/v1/clustersets (without its failure policy): an
// Antrea Multi-cluster ClusterSet whose ID is its name. The leader is always a member;
// Members may list it or not. The recorded spec follows the set: a join adds the cluster
// (and its gateways) to it, a leave removes them.
type ClusterSetSpec struct {
	Name    string   `json:"name"`
	Leader  string   `json:"leader"`
	Members []string `json:"members"`
	// Gateways are the gateway candidates a request names, by cluster; a cluster left
	// out gets candidates chosen for it.
	Gateways            map[string]NodeList `json:"gateways,omitempty"`
	GatewayIPPrecedence string              `json:"gateway_ip_precedence"`
	EndpointIPType      string              `json:"endpoint_ip_type"`
}

// Clusters lists the set's clusters once each: the leader, then the members in request
// order.
func (s ClusterSetSpec) Clusters() []string {
	out := []string{s.Leader}
	seen := map[string]bool{s.Leader: true}
	for _, m := range s.Members {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// ClusterSetJoin is the body of POST /api/v1/clustersets/{name}/members (without its
// failure policy).
type ClusterSetJoin struct {
	Cluster  string   `json:"cluster"`
	Gateways NodeList `json:"gateways,omitempty"`
}

// NodeList is a list of node names. In a request it may also be one name as a string.
type NodeList []string

// UnmarshalJSON reads a node name or an array of node names.
func (n *NodeList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*n = NodeList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[NodeList]()}
	}
	*n = many
	return nil
}

// ClusterSet is a ClusterSet as the inventory records it and the API returns it.
type ClusterSet struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Leader string `json:"leader"` // the leader cluster's name
	// Project is the name of the project the set and all its clusters belong to.
	Project     string             `json:"project"`
	Spec        ClusterSetSpec     `json:"spec"`
	Phase       string             `json:"phase"`
	PhaseReason string             `json:"phase_reason,omitempty"`
	Members     []ClusterSetMember `json:"members"` // the leader first, then by name
	// Operation is the operation the set is busy with, if any, and what it waits for.
	Operation *ActiveOperation `json:"operation,omitempty"`
	CreatedBy string           `json:"created_by,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// Member returns the member that is the cluster named name.
func (s ClusterSet) Member(name string) (ClusterSetMember, bool) {
	for _, m := range s.Members {
		if m.Cluster == name {
			return m, true
		}
	}
	return ClusterSetMember{}, false
}

// ClusterSetMember is one cluster of a ClusterSet and what the set's last check saw of it.
type ClusterSetMember struct {
	Cluster   string `json:"cluster"`    // its name, which is its Antrea cluster ID
	ClusterID string `json:"cluster_id"` // its inventory id
	Leader    bool   `json:"leader"`
	State     string `json:"state"`
	ClusterSetMemberStatus
	UpdatedAt time.Time `json:"updated_at"`
}

// ClusterSetMemberStatus is what the operations observe of a member on its clusters.
type ClusterSetMemberStatus struct {
	// Ready: the member's ClusterSet is Ready and the leader counts it ready.
	Ready   bool          `json:"ready"`
	Message string        `json:"message,omitempty"`
	Gateway MemberGateway `json:"gateway"`
	// Imports are the clusters whose ClusterInfoImport the member has.
	Imports []string `json:"imports"`
}

// MemberGateway is a member's active Antrea Gateway node and its annotated candidates.
type MemberGateway struct {
	Active     string   `json:"active,omitempty"`
	Candidates []string `json:"candidates"`
}

// ClusterSetRef names the ClusterSet a cluster is in, on the cluster's reply.
type ClusterSetRef struct {
	Name   string `json:"name"`
	Leader bool   `json:"leader"`
}

// ClusterInSetError says that a cluster is in a ClusterSet already: a cluster is in at
// most one. It wraps ErrConflict.
type ClusterInSetError struct {
	Cluster    string // its name
	ClusterSet string // the set it is in
}

func (e *ClusterInSetError) Error() string {
	return "cluster " + e.Cluster + " is already in clusterset " + e.ClusterSet
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ClusterInSetError) Unwrap() error { return ErrConflict }
