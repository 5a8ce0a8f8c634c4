package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// recordDay2Cluster records a cluster of validSpec at version straight in the inventory,
// in phase, with a control plane and two workers of pool "default" (nothing runs it: the
// Day-2 routes read the inventory only); its nodes' addresses come from ipPool, which
// leases none.
func recordDay2Cluster(t testing.TB, env *apptest.Env, name, version, phase, ipPool string) domain.Cluster {
	t.Helper()
	ctx := context.Background()
	spec := validSpec(name)
	spec.Defaults()
	spec.KubernetesVersion, spec.Network.IPPool = version, ipPool
	c, err := env.App.Store.CreateCluster(ctx, spec, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, phase, ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range []inventory.NodeRecord{
		{Name: name + "-cp-0", Role: "control-plane", Pool: domain.ControlPlanePool},
		{Name: name + "-default-0", Role: "worker", Pool: "default"},
		{Name: name + "-default-1", Role: "worker", Pool: "default"},
	} {
		n.ClusterID, n.Ready, n.KubeletVersion = c.ID, true, version
		if err := env.App.Store.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	c, err = env.App.Store.GetCluster(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// day2Count counts the Day-2 node operations recorded.
func day2Count(t *testing.T, env *apptest.Env) int {
	return countRows(t, env, "operations", "kind = ANY($1)", []string{domain.OpUpgradeCluster, domain.OpScaleCluster, domain.OpReplaceNode})
}

// startedInput decodes the input of the workflow an operation started.
func startedInput(t *testing.T, env *apptest.Env, op domain.Operation, v any) {
	t.Helper()
	h := env.History(op)
	if len(h.Events) == 0 {
		t.Fatalf("operation %s has an empty history", op.ID)
	}
	attrs := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		t.Fatalf("the first event of operation %s is %s", op.ID, h.Events[0].GetEventType())
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), v); err != nil {
		t.Fatalf("input of operation %s: %v", op.ID, err)
	}
}

// accepted202 checks a 202 reply and returns its operation.
func accepted202(t *testing.T, r apptest.Response) domain.Operation {
	t.Helper()
	if r.Status != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	if loc := r.Header.Get("Location"); loc != "/api/v1/operations/"+reply.Operation.ID {
		t.Errorf("Location = %q", loc)
	}
	return reply.Operation
}

// TestDay2Routes: upgrade, scale and replace of a cluster's nodes. GET offers the upgrade
// targets; viewers may not start them; bad input is 400 naming every field (the failure
// policy's too) and starts nothing; a cluster that is not Ready or Degraded is 409
// not-ready; new nodes without free addresses are 422; each starts its operation with its parameters and the workflow input of the
// checked plan; a busy cluster is 409 naming the running operation; every attempt is
// audited.
func TestDay2Routes(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, nil)
	operator := env.Token("op", domain.RoleOperator)
	viewer := env.Token("view", domain.RoleViewer)
	east := recordDay2Cluster(t, env, "east", "v1.36.5", domain.PhaseProvisioning, "lab")
	west := recordDay2Cluster(t, env, "west", "v1.37.2", domain.PhaseReady, "lab")
	north := recordDay2Cluster(t, env, "north", "v1.36.5", domain.PhaseDegraded, "lab")
	small := recordDay2Cluster(t, env, "small", "v1.37.2", domain.PhaseReady, "tiny")

	// What the portal offers: the next minor's version; none at the newest.
	for name, want := range map[string][]string{"east": {"v1.37.2"}, "west": {}} {
		var got struct {
			Name           string
			UpgradeTargets []string `json:"upgrade_targets"`
		}
		r := env.Do("GET", "/api/v1/clusters/"+name, viewer, nil)
		r.JSON(t, &got)
		if got.Name != name || got.UpgradeTargets == nil || !slices.Equal(got.UpgradeTargets, want) {
			t.Errorf("GET %s: upgrade_targets %v, want %v: %s", name, got.UpgradeTargets, want, r.Body)
		}
	}

	upgrade := map[string]any{"kubernetes_version": "v1.37.2"}
	scale := map[string]any{"pool": "default", "replicas": 3}
	for _, c := range []struct {
		path string
		body any
	}{{"/upgrade", upgrade}, {"/scale", scale}, {"/nodes/east-default-0/replace", nil}} {
		body := c.body
		readProblem(t, env.Do("POST", "/api/v1/clusters/east"+c.path, viewer, body), http.StatusForbidden)
		readProblem(t, env.Do("POST", "/api/v1/clusters/nope"+c.path, operator, body), http.StatusNotFound)
		// Provisioning: not ready for any of them.
		p := readProblem(t, env.Do("POST", "/api/v1/clusters/east"+c.path, operator, body), http.StatusConflict)
		if p.Type != "https://clusterwright.dev/problems/not-ready" || !strings.Contains(p.Detail, "Provisioning") ||
			!strings.Contains(p.Detail, "Ready or Degraded") {
			t.Errorf("POST %s of a provisioning cluster: %+v", c.path, p)
		}
	}

	// Bad input names each field, and starts nothing.
	for _, c := range []struct {
		path   string
		body   any
		fields []string
	}{
		{"/upgrade?on_failure=maybe", map[string]any{"kubernetes_version": "v1.35.8", "max_unavailable": 5, "drain_timeout": "1s"},
			[]string{"drain_timeout", "kubernetes_version", "max_unavailable", "on_failure"}},
		{"/upgrade", map[string]any{"kubernetes_version": "v1.38.0"}, []string{"kubernetes_version"}},
		{"/upgrade", map[string]any{"version": "v1.37.2"}, []string{"version"}},
		{"/upgrade", map[string]any{"kubernetes_version": 137}, []string{"kubernetes_version"}},
		{"/upgrade", nil, []string{"body"}},
		{"/scale", map[string]any{"pool": "cp", "replicas": -1}, []string{"pool", "replicas"}},
		{"/scale", map[string]any{"pool": "default", "replicas": 2, "cpus": 8}, []string{"cpus", "replicas"}},
		{"/scale", map[string]any{"pool": "default"}, []string{"replicas"}},
		{"/scale", map[string]any{"pool": "gpu", "replicas": 2, "memory_mib": 1024, "drain_timeout": "soon"}, []string{"drain_timeout", "memory_mib"}},
		{"/nodes/nope/replace", nil, []string{"node"}},
		{"/nodes/east-default-0/replace?decision_timeout=x", map[string]any{"drain_timeout": "forever"}, []string{"decision_timeout", "drain_timeout"}},
		{"/nodes/east-default-0/replace", map[string]any{"drain": "1m"}, []string{"drain"}},
	} {
		p := readProblem(t, env.Do("POST", "/api/v1/clusters/east"+c.path, operator, c.body), http.StatusBadRequest)
		if got := p.fieldNames(t); !slices.Equal(got, c.fields) {
			t.Errorf("POST %s %v: fields %v, want %v (%+v)", c.path, c.body, got, c.fields, p.Errors)
		}
	}
	if p := readProblem(t, env.Do("POST", "/api/v1/clusters/east/upgrade", operator, map[string]any{"kubernetes_version": "v1.35.8"}),
		http.StatusBadRequest); !strings.Contains(p.message("kubernetes_version"), "downgraded") {
		t.Errorf("a downgrade: %+v", p.Errors)
	}

	// New nodes need free addresses in the cluster's IP pool: 422 naming the field.
	p := readProblem(t, env.Do("POST", "/api/v1/clusters/small/scale", operator, map[string]any{"pool": "default", "replicas": 8}),
		http.StatusUnprocessableEntity)
	if got := p.fieldNames(t); !slices.Equal(got, []string{"replicas"}) || !strings.Contains(p.message("replicas"), "ip pool tiny has 5 free addresses; the new nodes need 6") {
		t.Errorf("scale beyond the pool: %+v", p)
	}
	ctx := context.Background()
	for i := range 5 {
		if _, err := env.App.Store.LeaseIP(ctx, "tiny", small.ID, fmt.Sprintf("small-x-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	p = readProblem(t, env.Do("POST", "/api/v1/clusters/small/nodes/small-default-0/replace", operator, nil), http.StatusUnprocessableEntity)
	if got := p.fieldNames(t); !slices.Equal(got, []string{"node"}) {
		t.Errorf("replace with a full pool: %+v", p)
	}
	if n := day2Count(t, env); n != 0 {
		t.Fatalf("%d Day-2 operations recorded by refused requests", n)
	}

	// Ready: the upgrade starts, with its plan in the operation and the workflow input.
	if err := env.App.Store.SetClusterPhase(ctx, east.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}
	up := accepted202(t, env.Do("POST", "/api/v1/clusters/east/upgrade", operator,
		map[string]any{"kubernetes_version": "v1.37.2", "backup": false, "max_unavailable": 2, "drain_timeout": "90s"}))
	if up.Kind != domain.OpUpgradeCluster || up.Target != (domain.Target{Kind: "cluster", ID: east.ID, Name: "east"}) || up.Actor != "op" ||
		up.WorkflowID != workflows.ClusterWorkflowID(east.ID) {
		t.Errorf("upgrade operation = %+v", up)
	}
	var params map[string]any
	if err := json.Unmarshal(up.Params, &params); err != nil || params["from"] != "v1.36.5" || params["to"] != "v1.37.2" ||
		params["backup"] != false || params["max_unavailable"] != 2.0 || params["drain_timeout"] != "1m30s" ||
		params["template"] != domain.UpgradeTemplate(east.Spec.Placement.Template, "v1.36.5", "v1.37.2", "") {
		t.Errorf("upgrade params = %s (%v)", up.Params, err)
	}
	var upIn workflows.UpgradeClusterInput
	startedInput(t, env, up, &upIn)
	if upIn.OperationID != up.ID || upIn.ClusterID != east.ID || upIn.VCenterID == "" || upIn.VCenterID != east.VCenterID ||
		upIn.Plan != (domain.UpgradePlan{From: "v1.36.5", To: "v1.37.2", Backup: false, MaxUnavailable: 2, DrainTimeout: 90e9,
			Template: domain.UpgradeTemplate(east.Spec.Placement.Template, "v1.36.5", "v1.37.2", "")}) ||
		upIn.Policy.OnFailure != domain.OnFailureWait {
		t.Errorf("upgrade input = %+v", upIn)
	}

	// While it runs the cluster is busy: the others are 409 naming it.
	for _, c := range []struct {
		path string
		body any
	}{{"/scale", scale}, {"/nodes/east-default-1/replace", nil}, {"/upgrade", upgrade}} {
		p := readProblem(t, env.Do("POST", "/api/v1/clusters/east"+c.path, operator, c.body), http.StatusConflict)
		if p.Type != "https://clusterwright.dev/problems/busy" || p.Operation != up.ID {
			t.Errorf("POST %s of a busy cluster: %+v, want busy with %s", c.path, p, up.ID)
		}
	}

	// A new pool on a Ready cluster, shaped like its first pool but for the CPUs.
	sc := accepted202(t, env.Do("POST", "/api/v1/clusters/west/scale?on_failure=compensate", operator,
		map[string]any{"pool": "gpu", "replicas": 1, "cpus": 4}))
	if sc.Kind != domain.OpScaleCluster || sc.Target.ID != west.ID || sc.OnFailure != domain.OnFailureCompensate {
		t.Errorf("scale operation = %+v", sc)
	}
	var scIn workflows.ScaleClusterInput
	startedInput(t, env, sc, &scIn)
	wantPool := domain.WorkerPool{Name: "gpu", NodeShape: domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 4096, DiskGiB: 40}}
	if scIn.ClusterID != west.ID || scIn.VCenterID != west.VCenterID || scIn.Plan.Pool != wantPool || !scIn.Plan.Added ||
		scIn.Plan.DrainTimeout != domain.DefaultDrainTimeout || scIn.Policy.OnFailure != domain.OnFailureCompensate {
		t.Errorf("scale input = %+v", scIn)
	}

	// A node of a Degraded cluster is replaced; the body is optional.
	rp := accepted202(t, env.Do("POST", "/api/v1/clusters/north/nodes/north-default-1/replace", operator, nil))
	if rp.Kind != domain.OpReplaceNode || rp.Target.ID != north.ID || !strings.Contains(string(rp.Params), `"node":"north-default-1"`) {
		t.Errorf("replace operation = %+v params %s", rp, rp.Params)
	}
	var rpIn workflows.ReplaceNodeInput
	startedInput(t, env, rp, &rpIn)
	if rpIn.ClusterID != north.ID || rpIn.VCenterID != north.VCenterID || rpIn.Node != "north-default-1" || rpIn.DrainTimeout != domain.DefaultDrainTimeout {
		t.Errorf("replace input = %+v", rpIn)
	}
	if n := day2Count(t, env); n != 3 {
		t.Errorf("%d Day-2 operations recorded, want 3", n)
	}

	// Every attempt is audited under the operation's kind.
	for _, want := range []struct {
		action, actor, target, outcome string
		status                         int
	}{
		{domain.OpUpgradeCluster, "view", "cluster/east", domain.OutcomeDenied, 403},
		{domain.OpUpgradeCluster, "op", "cluster/nope", domain.OutcomeFailure, 404},
		{domain.OpUpgradeCluster, "op", "cluster/east", domain.OutcomeFailure, 400},
		{domain.OpUpgradeCluster, "op", "cluster/east", domain.OutcomeFailure, 409},
		{domain.OpUpgradeCluster, "op", "cluster/east", domain.OutcomeSuccess, 202},
		{domain.OpScaleCluster, "op", "cluster/east", domain.OutcomeFailure, 400},
		{domain.OpScaleCluster, "op", "cluster/west", domain.OutcomeSuccess, 202},
		{domain.OpReplaceNode, "view", "cluster/east/east-default-0", domain.OutcomeDenied, 403},
		{domain.OpReplaceNode, "op", "cluster/east/nope", domain.OutcomeFailure, 400},
		{domain.OpReplaceNode, "op", "cluster/north/north-default-1", domain.OutcomeSuccess, 202},
	} {
		if events := auditEvents(t, env, want.action); !hasAudit(events, want.actor, want.target, want.outcome, want.status) {
			t.Errorf("no %s audit event by %s on %s: %s %d in %+v", want.action, want.actor, want.target, want.outcome, want.status, events)
		}
	}
}
