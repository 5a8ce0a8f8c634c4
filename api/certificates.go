package api

import (
	"net/http"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// CertificatesReply is the body of GET /api/v1/clusters/{name}/certificates: the
// certificates the last check recorded, and when it ran (absent before any check).
type CertificatesReply struct {
	Cluster           string               `json:"cluster"`
	CheckedAt         *time.Time           `json:"checked_at,omitempty"`
	CertificateExpiry *time.Time           `json:"certificate_expiry,omitempty"`
	Certificates      []domain.Certificate `json:"certificates"`
}

// listCertificates returns the cluster's certificates as the last check recorded them,
// days left counted from now. It reads the inventory only: POST …/certificates/check
// refreshes it.
func (a *API) listCertificates(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	certs, err := a.store.Certificates(r.Context(), c.ID, time.Now())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	reply := CertificatesReply{Cluster: c.Name, CertificateExpiry: c.CertificateExpiry, Certificates: certs}
	if reply.Certificates == nil {
		reply.Certificates = []domain.Certificate{}
	}
	for _, cert := range certs {
		if reply.CheckedAt == nil || cert.CheckedAt.After(*reply.CheckedAt) {
			at := cert.CheckedAt
			reply.CheckedAt = &at
		}
	}
	writeJSON(w, http.StatusOK, reply)
}

// checkCertificates starts a cluster.certificate-check operation that reads every
// certificate of the cluster into the inventory; ?on_failure= and ?decision_timeout=
// say what a failed step does.
func (a *API) checkCertificates(w http.ResponseWriter, r *http.Request) {
	a.startCertificates(w, r, domain.OpCheckCertificates, workflows.CheckCertificates)
}

// renewCertificates starts a cluster.certificate-renewal operation: the control
// plane's certificates renewed node by node, the service's admin kubeconfig re-issued,
// and the certificates checked again.
func (a *API) renewCertificates(w http.ResponseWriter, r *http.Request) {
	a.startCertificates(w, r, domain.OpRenewCertificates, workflows.RenewCertificates)
}

// startCertificates starts a certificate operation of kind on a Ready cluster: one
// operation at a time per cluster (409 while another runs).
func (a *API) startCertificates(w http.ResponseWriter, r *http.Request, kind string, fn any) {
	c := clusterOf(r)
	policy := queryPolicy(r)
	if err := a.checkPolicy(&policy); err != nil {
		a.fail(w, r, err)
		return
	}
	if c.Phase != domain.PhaseReady {
		a.writeProblem(w, r, Problem{Type: problemBase + "not-ready", Status: http.StatusConflict,
			Detail: "cluster " + c.Name + " is " + c.Phase + "; its certificates are checked and renewed when it is Ready"})
		return
	}
	started, err := a.startClusterOperation(r.Context(), kind, c, policy, fn, func(opID string) any {
		return workflows.CertificatesInput{OperationID: opID, ClusterID: c.ID, Policy: policy}
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.accepted(w, started)
}
