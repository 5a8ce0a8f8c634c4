package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// VCenterCreated is the reply to POST /api/v1/vcenters: the vCenter and the operation
// syncing its inventory.
type VCenterCreated struct {
	VCenter   domain.VCenter   `json:"vcenter"`
	Operation domain.Operation `json:"operation"`
}

func (a *API) createVCenter(w http.ResponseWriter, r *http.Request) {
	var in domain.VCenterInput
	if !a.decode(w, r, &in) {
		return
	}
	setAuditTarget(r.Context(), "vcenter/"+in.Name)
	if err := in.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	if !a.vcenterServerAllowed(w, r, in.Server) {
		return
	}
	// Fail fast on a taken name, before a slow login; the insert checks again.
	if _, err := a.store.GetVCenter(r.Context(), in.Name); err == nil {
		a.fail(w, r, fmt.Errorf("vcenter %q exists: %w", in.Name, domain.ErrConflict))
		return
	}
	creds := domain.VCenterCredentials{Server: in.Server, Username: in.Username, Password: in.Password, Insecure: in.Insecure, Thumbprint: in.Thumbprint}
	if err := a.check(r.Context(), creds); err != nil {
		a.credentialProblem(w, r, err)
		return
	}
	if c := in.ClusterCredentials; c != nil {
		creds.Username, creds.Password = c.Username, c.Password
		if err := a.checkClusterAccount(r.Context(), creds); err != nil {
			a.accountProblem(w, r, err, http.StatusUnprocessableEntity, clusterCredentialsField)
			return
		}
	}
	v, err := a.store.CreateVCenter(r.Context(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	policy := domain.FailurePolicy{}
	policy.Defaults(a.decisionTimeout)
	op, err := a.startSync(r.Context(), v, policy)
	if err != nil {
		// Registration and its first sync succeed or fail together: nothing stays behind.
		if derr := a.store.DeleteVCenter(context.WithoutCancel(r.Context()), v.ID); derr != nil {
			a.logger.ErrorContext(r.Context(), "remove vcenter whose sync did not start", "vcenter", v.Name, "error", derr)
		}
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/vcenters/"+v.Name)
	writeJSON(w, http.StatusCreated, VCenterCreated{VCenter: v, Operation: op})
}

// credentialProblem answers a failed vCenter login with 422 naming the field to fix. The
// reply never includes the underlying error text, which could echo what was sent.
func (a *API) credentialProblem(w http.ResponseWriter, r *http.Request, err error) {
	a.accountProblem(w, r, err, http.StatusUnprocessableEntity, "")
}

// accountProblem answers a failed check of a vCenter account with status naming the
// field to fix, under prefix ("cluster_credentials" for the cluster account). The reply
// never includes the underlying error text, which could echo what was sent.
func (a *API) accountProblem(w http.ResponseWriter, r *http.Request, err error, status int, prefix string) {
	var acct *vsphere.ClusterAccountError
	if errors.As(err, &acct) {
		fields := make([]domain.FieldError, len(acct.Problems))
		for i, p := range acct.Problems {
			fields[i] = domain.FieldError{Field: clusterCredentialsField, Message: p.Message}
		}
		a.writeProblem(w, r, Problem{Type: problemBase + "vcenter-cluster-account", Title: "Cluster account refused",
			Status: status, Detail: "the cluster account must hold the vSphere CSI driver's privileges and no VM provisioning ones", Errors: fields})
		return
	}
	var field, msg string
	switch {
	case errors.Is(err, vsphere.ErrBadCredentials):
		field, msg = "password", "vCenter rejected the user name or password"
	case errors.Is(err, vsphere.ErrCertificate):
		field, msg = "thumbprint", "the server's certificate is not trusted and does not match the thumbprint; set thumbprint or insecure"
	case errors.Is(err, vsphere.ErrUnreachable), errors.Is(err, vsphere.ErrInvalidServer):
		field, msg = "server", "no vSphere API answers at this address"
	default:
		a.logger.WarnContext(r.Context(), "vcenter login failed", "request_id", requestID(r.Context()), "error", err)
		field, msg = "server", "logging in to the vCenter failed; see the server log for the request id"
	}
	if prefix != "" {
		if field == "password" {
			field = prefix + ".password"
		} else {
			field = prefix
		}
	}
	a.writeProblem(w, r, Problem{Type: problemBase + "vcenter-login", Title: "vCenter login failed",
		Status: status, Detail: msg, Errors: []domain.FieldError{{Field: field, Message: msg}}})
}

// startSync starts the SyncInventory operation of v.
func (a *API) startSync(ctx context.Context, v domain.VCenter, policy domain.FailurePolicy) (domain.Operation, error) {
	op := domain.Operation{
		Kind: domain.OpSyncInventory, Target: domain.Target{Kind: "vcenter", ID: v.ID, Name: v.Name},
		Actor: actorName(ctx), RequestID: requestID(ctx), WorkflowID: workflows.VCenterWorkflowID(v.ID),
		FailurePolicy: policy,
	}
	started, err := a.ops.Start(ctx, op, workflows.SyncInventory, func(opID string) any {
		return workflows.SyncInventoryInput{OperationID: opID, VCenterID: v.ID, VCenterName: v.Name, Policy: policy}
	})
	if err == nil {
		a.metrics.OperationsStarted.WithLabelValues(op.Kind).Inc()
	}
	return started, err
}

// withVCenter loads the vCenter named in the URL once, for the handler and its checks.
func (a *API) withVCenter(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := a.store.GetVCenter(r.Context(), chi.URLParam(r, "name"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keyEntity, v)))
	}
}

func vcenterOf(r *http.Request) domain.VCenter { return r.Context().Value(keyEntity).(domain.VCenter) }

func (a *API) listVCenters(w http.ResponseWriter, r *http.Request) {
	var v domain.ValidationError
	p := page(r, &v)
	if err := v.Err(); err != nil {
		a.fail(w, r, err)
		return
	}
	vs, next, err := a.store.ListVCenters(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(vs, next))
}

func (a *API) getVCenter(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, vcenterOf(r))
}

// OperationReply wraps an operation, as every 202 reply does.
type OperationReply struct {
	Operation domain.Operation `json:"operation"`
}

func (a *API) accepted(w http.ResponseWriter, op domain.Operation) {
	w.Header().Set("Location", "/api/v1/operations/"+op.ID)
	writeJSON(w, http.StatusAccepted, OperationReply{Operation: op})
}

// syncVCenter starts a sync of the vCenter's inventory; ?on_failure= and
// ?decision_timeout= say what a failed sync does.
func (a *API) syncVCenter(w http.ResponseWriter, r *http.Request) {
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	op, err := a.startSync(r.Context(), vcenterOf(r), policy)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, op)
}

func (a *API) getInventory(w http.ResponseWriter, r *http.Request) {
	inv, err := a.store.Inventory(r.Context(), vcenterOf(r).Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}
