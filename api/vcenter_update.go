package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// clusterCredentialsField names the cluster account in problems.
const clusterCredentialsField = "cluster_credentials"

// checkClusterAccount checks a cluster account against vCenter (see
// vsphere.CheckClusterAccount).
func (a *API) checkClusterAccount(ctx context.Context, creds domain.VCenterCredentials) error {
	if a.checkCluster == nil {
		return a.check(ctx, creds)
	}
	return a.checkCluster(ctx, creds)
}

// updateVCenter changes a vCenter's passwords or settings (PATCH): it checks the
// accounts the change affects against vCenter (400 naming the field, nothing saved),
// then, holding the vCenter's operation slot (409 while another runs), saves the change
// and starts the operation that writes it into every cluster's vSphere Secrets.
// ?on_failure= and ?decision_timeout= say what a failed cluster step does.
func (a *API) updateVCenter(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cur := vcenterOf(r)
	var patch domain.VCenterPatch
	if !a.decode(w, r, &patch) {
		return
	}
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	next, err := patch.Apply(cur)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	svc, err := a.store.VCenterCredentials(ctx, cur.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if patch.Password != nil {
		svc.Password = next.Password
	}
	svc.Insecure, svc.Thumbprint = next.Insecure, next.Thumbprint
	if patch.ChangesService() {
		if err := a.check(ctx, svc); err != nil {
			a.accountProblem(w, r, err, http.StatusBadRequest, "")
			return
		}
	}
	if c := next.ClusterCredentials; c != nil && (patch.ClusterCredentials != nil || patch.Insecure != nil || patch.Thumbprint != nil) {
		cc := svc
		cc.Username, cc.Password = c.Username, c.Password
		if cc.Password == "" {
			stored, err := a.store.ClusterAccountCredentials(ctx, cur.ID)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			cc.Password = stored.Password
		}
		if err := a.checkClusterAccount(ctx, cc); err != nil {
			a.accountProblem(w, r, err, http.StatusBadRequest, clusterCredentialsField)
			return
		}
	}
	params, _ := json.Marshal(map[string]any{"changed": patchedFields(patch)})
	op := domain.Operation{
		Kind: domain.OpUpdateVCenterCredentials, Target: domain.Target{Kind: "vcenter", ID: cur.ID, Name: cur.Name},
		Actor: actorName(ctx), RequestID: requestID(ctx), WorkflowID: workflows.VCenterWorkflowID(cur.ID),
		FailurePolicy: policy, Params: params,
	}
	started, err := a.ops.StartAfter(ctx, op, workflows.UpdateVCenterCredentials, func(opID string) any {
		return workflows.UpdateVCenterInput{OperationID: opID, VCenterID: cur.ID, VCenterName: cur.Name, Policy: policy}
	}, func(ctx context.Context) error {
		_, err := a.store.UpdateVCenter(ctx, cur.ID, next)
		return err
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.metrics.OperationsStarted.WithLabelValues(op.Kind).Inc()
	a.accepted(w, started)
}

// patchedFields names the fields a patch changes, for the operation's parameters (never
// a value: some are passwords).
func patchedFields(p domain.VCenterPatch) []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(p.Password != nil, "password")
	add(p.Insecure != nil, "insecure")
	add(p.Thumbprint != nil, "thumbprint")
	add(p.ClusterCredentials != nil, clusterCredentialsField)
	add(p.ShareServiceAccountWithClusters != nil, "share_service_account_with_clusters")
	return out
}
