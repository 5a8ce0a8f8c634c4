package workflows

import "github.com/clusterwright/clusterwright/domain"

// The inputs of the ClusterSet workflows. The API records the set (and, for a join, the
// joining member with its gateway nodes in the set's spec) before it starts them; the
// workflows read the rest from the inventory through activities.

// FormClusterSetInput names the recorded set to form: its spec and its Joining members.
type FormClusterSetInput struct {
	OperationID  string               `json:"operation_id"`
	ClusterSetID string               `json:"clusterset_id"`
	Policy       domain.FailurePolicy `json:"policy"`
}

// JoinClusterSetInput names the set and the cluster, recorded as a Joining member, that
// joins it; the gateway nodes the request named are in the set's spec (gateways.<cluster>).
type JoinClusterSetInput struct {
	OperationID  string               `json:"operation_id"`
	ClusterSetID string               `json:"clusterset_id"`
	ClusterID    string               `json:"cluster_id"`
	Policy       domain.FailurePolicy `json:"policy"`
}

// LeaveClusterSetInput names the set and the member (never the leader) that leaves it.
type LeaveClusterSetInput struct {
	OperationID  string               `json:"operation_id"`
	ClusterSetID string               `json:"clusterset_id"`
	ClusterID    string               `json:"cluster_id"`
	Policy       domain.FailurePolicy `json:"policy"`
}

// DisbandClusterSetInput names the set to disband.
type DisbandClusterSetInput struct {
	OperationID  string               `json:"operation_id"`
	ClusterSetID string               `json:"clusterset_id"`
	Policy       domain.FailurePolicy `json:"policy"`
}
