package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/domain"
)

// UpdateVCenterInput names the vCenter whose accounts or settings changed (PATCH
// /api/v1/vcenters/{name}) and the operation that records the run. It carries no
// credentials: the inventory holds the new ones, sealed, before the workflow starts.
type UpdateVCenterInput struct {
	OperationID string               `json:"operation_id"`
	VCenterID   string               `json:"vcenter_id"`
	VCenterName string               `json:"vcenter_name"`
	Policy      domain.FailurePolicy `json:"policy"`
}

// UpdateVCenterResult names the clusters whose Secrets were updated.
type UpdateVCenterResult struct {
	Clusters []string `json:"clusters"`
}

// Step names of UpdateVCenterCredentials. Per cluster, the step is named
// StepUpdateClusterSecrets + "-<cluster>".
const (
	StepListClusters         = "list-clusters"
	StepUpdateClusterSecrets = "update-secrets"
)

// UpdateVCenterCredentials writes a vCenter's changed account and settings into the
// vSphere CPI and CSI Secrets of every live cluster on it, one step per cluster, so
// that a cluster whose update fails waits for a decision and a retry resumes at it.
// Without clusters it succeeds after listing none.
func UpdateVCenterCredentials(ctx workflow.Context, in UpdateVCenterInput) (res UpdateVCenterResult, err error) {
	op := newOperation(in.OperationID, in.Policy)
	if err := op.begin(ctx); err != nil {
		return res, err
	}
	defer func() {
		if ferr := op.finish(ctx, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	var clusters []domain.ClusterRef
	if err := op.step(ctx, StepListClusters, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(with(ctx, recordOptions), records.VCenterClusters, in.VCenterID).Get(ctx, &clusters)
	}); err != nil {
		return res, err
	}
	var steps []namedStep
	for _, c := range clusters {
		steps = append(steps, namedStep{StepUpdateClusterSecrets + "-" + c.Name, func(ctx workflow.Context) error {
			var r addons.VSphereCredentialsResult
			return workflow.ExecuteActivity(with(ctx, addonOptions), addonActs.UpdateVSphereCredentials, c.ID).Get(ctx, &r)
		}})
	}
	if err := op.steps(ctx, steps); err != nil {
		return res, err
	}
	for _, c := range clusters {
		res.Clusters = append(res.Clusters, c.Name)
	}
	return res, nil
}
