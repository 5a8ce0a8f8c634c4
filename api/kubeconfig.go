package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
)

// KubeconfigIssuer issues personal kubeconfigs: bootstrap.Source.
type KubeconfigIssuer interface {
	IssueUserKubeconfig(ctx context.Context, clusterID string, req bootstrap.UserKubeconfigRequest) (bootstrap.UserKubeconfig, error)
}

// getKubeconfig issues the caller a kubeconfig of their own on every call: a new client
// certificate from the cluster CA whose CN is the caller's name (domain.KubeUser) and
// whose group is that of the caller's role in the cluster's project (bound at provision to cluster-admin, edit or view),
// valid for ?ttl= (default 8h, at most the server's --kubeconfig-max-ttl). The issue is
// audited with the certificate's serial and expiry, never its key. Revoking the token
// stops further issues; those already issued expire within their ttl. Provisioning makes
// the CA before any VM exists, so a cluster still Pending or Provisioning is not ready
// whatever the inventory holds.
func (a *API) getKubeconfig(w http.ResponseWriter, r *http.Request) {
	c := clusterOf(r)
	ctx := r.Context()
	ttl, err := a.kubeconfigTTL(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	notReady := func() {
		a.writeProblem(w, r, Problem{Type: problemBase + "not-ready", Status: http.StatusConflict,
			Detail: "cluster " + c.Name + " has no kubeconfig yet (phase " + c.Phase + ")"})
	}
	if c.Phase == domain.PhasePending || c.Phase == domain.PhaseProvisioning || a.kubeconfigs == nil {
		notReady()
		return
	}
	p, _ := principal(ctx)
	role := p.RoleIn(c.Project)
	issued, err := a.kubeconfigs.IssueUserKubeconfig(ctx, c.ID, bootstrap.UserKubeconfigRequest{
		User: domain.KubeUser(p.Name), Groups: []string{role.KubeGroup()}, TTL: ttl,
	})
	if isNotFound(err) {
		notReady()
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if issued.AccessProblem != nil {
		a.logger.WarnContext(ctx, "kubeconfig issued, but the cluster's RBAC bindings could not be installed now",
			"cluster", c.Name, "error", issued.AccessProblem, "request_id", requestID(ctx))
		addAuditDetail(ctx, "rbac_bindings", "not installed: the cluster did not answer")
	}
	cert := issued.Certificate
	addAuditDetail(ctx, "serial", fmt.Sprintf("%x", cert.SerialNumber))
	addAuditDetail(ctx, "not_after", cert.NotAfter.UTC().Format(time.RFC3339))
	addAuditDetail(ctx, "role", string(role))
	addAuditDetail(ctx, "user", cert.Subject.CommonName)
	addAuditDetail(ctx, "ttl", ttl.String())
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Name+`.kubeconfig"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(issued.Kubeconfig)
}

// kubeconfigTTL reads ?ttl= (a Go duration such as 30m or 8h; default
// domain.DefaultKubeconfigTTL), from domain.MinKubeconfigTTL to the server's maximum.
func (a *API) kubeconfigTTL(r *http.Request) (time.Duration, error) {
	s := r.URL.Query().Get("ttl")
	if s == "" {
		return min(domain.DefaultKubeconfigTTL, a.kubeconfigMaxTTL), nil
	}
	var v domain.ValidationError
	d, err := time.ParseDuration(s)
	if err != nil || d < domain.MinKubeconfigTTL || d > a.kubeconfigMaxTTL {
		v.Add("ttl", "must be a duration such as 30m or 8h, from %s to %s", fmtDuration(domain.MinKubeconfigTTL), fmtDuration(a.kubeconfigMaxTTL))
	}
	return d, v.Err()
}

// fmtDuration writes whole hours and minutes without the zero parts Go writes (8h, not
// 8h0m0s).
func fmtDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
