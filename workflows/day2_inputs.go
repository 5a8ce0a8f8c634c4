package workflows

import (
	"time"

	"github.com/clusterwright/clusterwright/domain"
)

// UpgradeClusterInput names the cluster to upgrade and the checked plan. No secrets.
type UpgradeClusterInput struct {
	OperationID string             `json:"operation_id"`
	ClusterID   string             `json:"cluster_id"`
	VCenterID   string             `json:"vcenter_id"`
	Plan        domain.UpgradePlan `json:"plan"`
	// Policy says what a failed step does: wait for a decision (the default) or end
	// the operation at once.
	Policy domain.FailurePolicy `json:"policy"`
}

// ScaleClusterInput names the cluster and the checked scale plan of one worker pool.
type ScaleClusterInput struct {
	OperationID string               `json:"operation_id"`
	ClusterID   string               `json:"cluster_id"`
	VCenterID   string               `json:"vcenter_id"`
	Plan        domain.ScalePlan     `json:"plan"`
	Policy      domain.FailurePolicy `json:"policy"`
}

// ReplaceNodeInput names the cluster and the node to replace.
type ReplaceNodeInput struct {
	OperationID  string               `json:"operation_id"`
	ClusterID    string               `json:"cluster_id"`
	VCenterID    string               `json:"vcenter_id"`
	Node         string               `json:"node"`
	DrainTimeout time.Duration        `json:"drain_timeout"`
	Policy       domain.FailurePolicy `json:"policy"`
}
