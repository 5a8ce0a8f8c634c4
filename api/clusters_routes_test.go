package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestClusterRoutesRolesConflictsAndAudit follows one cluster through the routes of
// issue 4 without booting Kubernetes: who may call them, 202 with the operation, 409 for
// a taken name, for a busy cluster and for a kubeconfig that does not exist yet, 404 for
// an unknown cluster, the kubeconfig reply, the delete, and the audit trail of each.
func TestClusterRoutesRolesConflictsAndAudit(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, nil)
	operator := env.Token("op", domain.RoleOperator)
	viewer := env.Token("view", domain.RoleViewer)
	spec := validSpec("dev-east")

	// A viewer may not create; nothing is written and the denial is audited.
	readProblem(t, env.Do("POST", "/api/v1/clusters", viewer, spec), http.StatusForbidden)
	assertNoClusterWritten(t, env)

	// An operator may: 202, the operation, and where to follow it.
	r := env.Do("POST", "/api/v1/clusters", operator, spec)
	if r.Status != http.StatusAccepted {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	provision := reply.Operation
	if loc := r.Header.Get("Location"); loc != "/api/v1/operations/"+provision.ID {
		t.Errorf("Location = %q, want /api/v1/operations/%s", loc, provision.ID)
	}
	if provision.Kind != domain.OpProvisionCluster || provision.Target.Kind != "cluster" || provision.Target.Name != "dev-east" ||
		provision.Actor != "op" || provision.Target.ID == "" {
		t.Fatalf("operation = %+v", provision)
	}
	var c domain.Cluster
	env.Do("GET", "/api/v1/clusters/dev-east", viewer, nil).JSON(t, &c)
	if c.ID != provision.Target.ID || c.CreatedBy != "op" || c.Spec.KubernetesVersion != domain.KubernetesVersions().Default ||
		c.Spec.Network.ServiceCIDR != "10.96.0.0/16" || c.Spec.Addons.Antrea == nil {
		t.Fatalf("cluster = %+v, want the spec with its defaults filled", c)
	}

	// The name is taken while the cluster lives, whoever asks.
	p := readProblem(t, env.Do("POST", "/api/v1/clusters", env.AdminToken, spec), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/conflict" || !strings.Contains(p.Detail, "dev-east") {
		t.Errorf("second create: %+v", p)
	}
	if n := countRows(t, env, "clusters", ""); n != 1 {
		t.Errorf("%d cluster rows after the second create, want 1", n)
	}
	if n := countRows(t, env, "operations", "kind = $1", domain.OpProvisionCluster); n != 1 {
		t.Errorf("%d provision operations after the second create, want 1", n)
	}

	// Every role may ask for a kubeconfig of its own, and there is none yet.
	for _, token := range []string{viewer, operator, env.AdminToken} {
		p = readProblem(t, env.Do("GET", "/api/v1/clusters/dev-east/kubeconfig", token, nil), http.StatusConflict)
		if p.Type != "https://clusterwright.dev/problems/not-ready" || !strings.Contains(p.Detail, "no kubeconfig yet") {
			t.Errorf("kubeconfig of a new cluster: %+v", p)
		}
	}

	// Deleting: viewers may not; an unknown cluster is 404; a bad flag is 400; while the
	// provision runs the cluster is busy with it.
	readProblem(t, env.Do("DELETE", "/api/v1/clusters/dev-east", viewer, nil), http.StatusForbidden)
	readProblem(t, env.Do("DELETE", "/api/v1/clusters/nope", operator, nil), http.StatusNotFound)
	p = readProblem(t, env.Do("DELETE", "/api/v1/clusters/dev-east?delete_volumes=maybe", operator, nil), http.StatusBadRequest)
	if got := p.fieldNames(t); len(got) != 1 || got[0] != "delete_volumes" {
		t.Errorf("bad delete_volumes: fields %v", got)
	}
	r = env.Do("DELETE", "/api/v1/clusters/dev-east", operator, nil)
	if r.Status != http.StatusConflict {
		var op domain.Operation
		env.Do("GET", "/api/v1/operations/"+provision.ID, operator, nil).JSON(t, &op)
		t.Fatalf("delete during the provision: %d %s (the provision is %s: %s)", r.Status, r.Body, op.State, op.Error)
	}
	p = readProblem(t, r, http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/busy" || p.Operation != provision.ID {
		t.Errorf("delete during the provision: %+v, want busy with operation %s", p, provision.ID)
	}

	// Cancel the provision once its addresses are leased (a cancel that lands while the
	// addresses are being leased is a race of the workflow, not of the API), and wait for
	// its compensation; then the cluster may be deleted.
	waitStep(t, env, provision.ID, workflows.StepAllocateAddresses, domain.StepSucceeded)
	if r := env.Do("POST", "/api/v1/operations/"+provision.ID+"/cancel", operator, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel the provision: %d %s", r.Status, r.Body)
	}
	if op := env.WaitOperation(provision.ID); op.State != domain.OpCanceled {
		t.Fatalf("provision after cancel = %s %s", op.State, op.Error)
	}
	if n := countRows(t, env, "ip_leases", "cluster_id = $1", c.ID); n != 0 {
		t.Errorf("the canceled provision left %d leases", n)
	}

	// With the cluster's CA in the inventory (provisioning makes it early; app/ tests
	// that), a cluster still Provisioning is not ready; once Ready, each caller gets a
	// personal kubeconfig (see TestPersonalKubeconfigs) as YAML that must not be cached.
	ctx := context.Background()
	if err := (&bootstrap.Source{Store: env.App.Store}).Prepare(ctx, c.ID, "127.0.0.1:6443"); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, domain.PhaseProvisioning, ""); err != nil {
		t.Fatal(err)
	}
	p = readProblem(t, env.Do("GET", "/api/v1/clusters/dev-east/kubeconfig", env.AdminToken, nil), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/not-ready" || !strings.Contains(p.Detail, "Provisioning") {
		t.Errorf("kubeconfig of a Provisioning cluster: %+v", p)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}
	checkPersonalKubeconfigs(t, env, "dev-east", map[string]domain.Role{"admin": domain.RoleAdmin, "view": domain.RoleViewer}, viewer)

	// Delete: 202, the operation ends Succeeded, the cluster, its secrets and its
	// schedules are gone (those of every cluster stay).
	for _, cluster := range []string{"dev-east", domain.AllClusters} {
		in := domain.ScheduleInput{Kind: domain.ScheduleCertificateCheck, Cluster: cluster, Every: "1h"}
		in.Defaults()
		if _, err := env.App.Store.CreateSchedule(ctx, in, "op"); err != nil {
			t.Fatal(err)
		}
	}
	r = env.Do("DELETE", "/api/v1/clusters/dev-east?delete_volumes=false", operator, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &reply)
	del := reply.Operation
	if r.Header.Get("Location") != "/api/v1/operations/"+del.ID || del.Kind != domain.OpDeleteCluster || del.Target.ID != c.ID {
		t.Fatalf("delete reply: Location %q, operation %+v", r.Header.Get("Location"), del)
	}
	if op := env.WaitOperation(del.ID); op.State != domain.OpSucceeded {
		t.Fatalf("delete operation = %s %s %+v", op.State, op.Error, op.Steps)
	}
	readProblem(t, env.Do("GET", "/api/v1/clusters/dev-east", viewer, nil), http.StatusNotFound)
	readProblem(t, env.Do("GET", "/api/v1/clusters/dev-east/kubeconfig", env.AdminToken, nil), http.StatusNotFound)
	readProblem(t, env.Do("DELETE", "/api/v1/clusters/dev-east", operator, nil), http.StatusNotFound)
	if n := countRows(t, env, "cluster_secrets", "cluster_id = $1", c.ID); n != 0 {
		t.Errorf("%d secrets left after the delete", n)
	}
	if n := countRows(t, env, "ip_leases", "cluster_id = $1", c.ID); n != 0 {
		t.Errorf("%d leases left after the delete", n)
	}
	if left, err := env.App.Store.AllSchedules(ctx); err != nil || len(left) != 1 || left[0].Cluster != domain.AllClusters {
		t.Errorf("schedules after the delete: %+v, %v", left, err)
	}

	// The audit log has every attempt, with its outcome.
	target := "cluster/dev-east"
	creates := auditEvents(t, env, "cluster.create")
	for _, want := range []struct {
		actor, target, outcome string
		status                 int
	}{
		// A denied create has no target: the body of a caller who may not create is not read.
		{"view", "", domain.OutcomeDenied, 403},
		{"op", target, domain.OutcomeSuccess, 202}, {"admin", target, domain.OutcomeFailure, 409},
	} {
		if !hasAudit(creates, want.actor, want.target, want.outcome, want.status) {
			t.Errorf("no cluster.create audit event by %s on %q: %s %d in %+v", want.actor, want.target, want.outcome, want.status, creates)
		}
	}
	reads := auditEvents(t, env, "cluster.kubeconfig")
	for _, want := range []struct {
		actor, outcome string
		status         int
	}{{"view", domain.OutcomeFailure, 409}, {"op", domain.OutcomeFailure, 409}, {"admin", domain.OutcomeFailure, 409},
		{"admin", domain.OutcomeSuccess, 200}, {"view", domain.OutcomeSuccess, 200}, {"view", domain.OutcomeFailure, 400},
		{"admin", domain.OutcomeFailure, 404}} {
		if !hasAudit(reads, want.actor, target, want.outcome, want.status) {
			t.Errorf("no cluster.kubeconfig audit event by %s: %s %d in %+v", want.actor, want.outcome, want.status, reads)
		}
	}
	deletes := auditEvents(t, env, "cluster.delete")
	for _, want := range []struct {
		actor, target, outcome string
		status                 int
	}{{"view", target, domain.OutcomeDenied, 403}, {"op", "cluster/nope", domain.OutcomeFailure, 404},
		{"op", target, domain.OutcomeFailure, 400}, {"op", target, domain.OutcomeFailure, 409}, {"op", target, domain.OutcomeSuccess, 202}} {
		if !hasAudit(deletes, want.actor, want.target, want.outcome, want.status) {
			t.Errorf("no cluster.delete audit event by %s on %s: %s %d in %+v", want.actor, want.target, want.outcome, want.status, deletes)
		}
	}
}

// waitStep polls an operation until its step reaches state, failing the test after a
// minute or when the operation ends first.
func waitStep(t *testing.T, env *apptest.Env, opID, step, state string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var op domain.Operation
		env.Do("GET", "/api/v1/operations/"+opID, env.AdminToken, nil).JSON(t, &op)
		for _, s := range op.Steps {
			if s.Name == step && s.State == state {
				return
			}
		}
		if op.State != domain.OpPending && op.State != domain.OpRunning {
			t.Fatalf("operation %s ended %s (%s) before step %s was %s: %+v", opID, op.State, op.Error, step, state, op.Steps)
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %s of operation %s not %s after a minute: %+v", step, opID, state, op.Steps)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
