package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// TestCertificateRoutes: who may read, check and renew a cluster's certificates; the
// recorded set as GET returns it; 409 not-ready for a cluster that is not Ready and 409
// busy while another operation of it runs; 404 for an unknown cluster; each audited.
func TestCertificateRoutes(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, nil)
	operator := env.Token("op", domain.RoleOperator)
	viewer := env.Token("view", domain.RoleViewer)
	r := env.Do("POST", "/api/v1/clusters", operator, validSpec("dev-east"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var started struct{ Operation domain.Operation }
	r.JSON(t, &started)
	provision := started.Operation

	// Never checked: an empty set, for viewers too.
	var list api.CertificatesReply
	if r = env.Do("GET", "/api/v1/clusters/dev-east/certificates", viewer, nil); r.Status != http.StatusOK {
		t.Fatalf("GET certificates: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &list)
	if list.Cluster != "dev-east" || list.CheckedAt != nil || list.Certificates == nil || len(list.Certificates) != 0 {
		t.Errorf("never checked: %s", r.Body)
	}
	readProblem(t, env.Do("GET", "/api/v1/clusters/nope/certificates", viewer, nil), http.StatusNotFound)

	// Viewers may not start either operation; a cluster still provisioning is not ready.
	readProblem(t, env.Do("POST", "/api/v1/clusters/dev-east/certificates/check", viewer, nil), http.StatusForbidden)
	readProblem(t, env.Do("POST", "/api/v1/clusters/dev-east/certificates/renew", viewer, nil), http.StatusForbidden)
	p := readProblem(t, env.Do("POST", "/api/v1/clusters/dev-east/certificates/check", operator, nil), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/not-ready" || !strings.Contains(p.Detail, "Ready") {
		t.Errorf("check of a provisioning cluster: %+v", p)
	}
	readProblem(t, env.Do("POST", "/api/v1/clusters/nope/certificates/renew", operator, nil), http.StatusNotFound)
	p = readProblem(t, env.Do("POST", "/api/v1/clusters/dev-east/certificates/renew?on_failure=maybe", operator, nil), http.StatusBadRequest)
	if got := p.fieldNames(t); len(got) != 1 || got[0] != "on_failure" {
		t.Errorf("bad on_failure: fields %v", got)
	}

	// Ready on record while its provision still holds the cluster: busy, naming it.
	ctx := context.Background()
	c, err := env.App.Store.GetCluster(ctx, "dev-east")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}
	p = readProblem(t, env.Do("POST", "/api/v1/clusters/dev-east/certificates/renew", operator, nil), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/busy" || p.Operation != provision.ID {
		t.Errorf("renewal of a busy cluster: %+v, want busy with %s", p, provision.ID)
	}
	if n := countRows(t, env, "operations", "kind = $1 OR kind = $2", domain.OpCheckCertificates, domain.OpRenewCertificates); n != 0 {
		t.Errorf("%d certificate operations recorded by refused requests", n)
	}

	// A recorded set, as a check leaves it: days left counted at the read.
	now := time.Now().UTC().Truncate(time.Second)
	certs := []domain.Certificate{
		{Node: "dev-east-cp-0", Name: "apiserver", CAName: "ca", NotAfter: now.Add(20 * 24 * time.Hour), Source: domain.CertSourceKubeadm, CheckedAt: now},
		{Name: "apiserver", CAName: "ca", NotAfter: now.Add(20*24*time.Hour + time.Minute), Source: domain.CertSourceAPIServerTLS, CheckedAt: now},
	}
	if err := env.App.Store.ReplaceCertificates(ctx, c.ID, certs); err != nil {
		t.Fatal(err)
	}
	env.Do("GET", "/api/v1/clusters/dev-east/certificates", viewer, nil).JSON(t, &list)
	if list.CheckedAt == nil || !list.CheckedAt.Equal(now) || list.CertificateExpiry == nil || !list.CertificateExpiry.Equal(certs[0].NotAfter) ||
		len(list.Certificates) != 2 || list.Certificates[1].DaysLeft != 19 || list.Certificates[0].Source != domain.CertSourceAPIServerTLS {
		t.Errorf("recorded set: %+v", list)
	}

	renewals := auditEvents(t, env, "cluster.certificate-renewal")
	for _, want := range []struct {
		actor, target, outcome string
		status                 int
	}{{"view", "cluster/dev-east", domain.OutcomeDenied, 403}, {"op", "cluster/nope", domain.OutcomeFailure, 404},
		{"op", "cluster/dev-east", domain.OutcomeFailure, 400}, {"op", "cluster/dev-east", domain.OutcomeFailure, 409}} {
		if !hasAudit(renewals, want.actor, want.target, want.outcome, want.status) {
			t.Errorf("no cluster.certificate-renewal audit event by %s on %s: %s %d in %+v", want.actor, want.target, want.outcome, want.status, renewals)
		}
	}
	if checks := auditEvents(t, env, "cluster.certificate-check"); !hasAudit(checks, "op", "cluster/dev-east", domain.OutcomeFailure, 409) {
		t.Errorf("no refused check audited: %+v", checks)
	}
}
