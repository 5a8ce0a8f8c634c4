package api_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/workflows"
)

// The ClusterSet API tests run the real stack without any Kubernetes: the clusters are
// inventory records (Ready, with nodes and add-ons, as a provisioning leaves them), and
// the ClusterSet workflows are echoWorkflows, which only return their input.

// startClusterSetAPI starts Clusterwright and serves its API with the ClusterSet workflows
// given (none: each operation is unavailable) at env.URL; a worker runs them.
func startClusterSetAPI(t *testing.T, wfs api.ClusterSetWorkflows) *apptest.Env {
	t.Helper()
	env := apptest.Start(t)
	if wfs.Form != nil {
		env.StopWorker()
		w := worker.New(env.App.Temporal, workflows.TaskQueue, worker.Options{})
		if err := app.Register(w, env.App); err != nil {
			t.Fatal(err)
		}
		for _, wf := range []any{wfs.Form, wfs.Join, wfs.Leave, wfs.Disband} {
			w.RegisterWorkflow(wf)
		}
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		env.Worker = w
	}
	cfg := env.App.APIConfig()
	cfg.ClusterSetWorkflows = wfs
	srv := httptest.NewServer(api.New(cfg).Handler())
	t.Cleanup(srv.Close)
	env.URL = srv.URL
	return env
}

// echoWorkflows stand in for the ClusterSet workflows: each returns its input.
var echoWorkflows = api.ClusterSetWorkflows{Form: echoForm, Join: echoJoin, Leave: echoLeave, Disband: echoDisband}

func echoForm(_ workflow.Context, in workflows.FormClusterSetInput) (workflows.FormClusterSetInput, error) {
	return in, nil
}

func echoJoin(_ workflow.Context, in workflows.JoinClusterSetInput) (workflows.JoinClusterSetInput, error) {
	return in, nil
}

func echoLeave(_ workflow.Context, in workflows.LeaveClusterSetInput) (workflows.LeaveClusterSetInput, error) {
	return in, nil
}

func echoDisband(_ workflow.Context, in workflows.DisbandClusterSetInput) (workflows.DisbandClusterSetInput, error) {
	return in, nil
}

// workflowInput waits for the echo workflow of op to end and returns the input it got.
func workflowInput(t *testing.T, env *apptest.Env, op domain.Operation) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var in map[string]any
	if err := env.App.Temporal.GetWorkflow(ctx, op.WorkflowID, op.RunID).Get(ctx, &in); err != nil {
		t.Fatalf("workflow of operation %s: %v", op.ID, err)
	}
	return in
}

// finishOperation ends an operation as its workflow would, once the echo has ended.
func finishOperation(t *testing.T, env *apptest.Env, op domain.Operation) map[string]any {
	t.Helper()
	in := workflowInput(t, env, op)
	if err := env.App.Store.FinishOperation(context.Background(), op.ID, domain.OpSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	return in
}

// setClusters records a vCenter and Ready clusters that run Antrea, each with a control
// plane and two workers named <cluster>-cp-0 and <cluster>-md-default-{0,1}, and
// returns their ids. Cluster i has pod CIDR 10.(10+i).0.0/16 and service CIDR
// 10.(100+i).0.0/16; "bare" has no Antrea, "young" is still Provisioning, and "twin" has
// east's pod CIDR.
func setClusters(t *testing.T, env *apptest.Env) map[string]string {
	t.Helper()
	ctx := context.Background()
	s := env.App.Store
	vin := domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}
	if err := vin.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i, name := range []string{"east", "west", "north", "east-1", "bare", "young", "twin"} {
		pod := "10." + strconv.Itoa(10+i) + ".0.0/16"
		if name == "twin" {
			pod = "10.10.0.0/16"
		}
		spec := domain.ClusterSpec{Name: name, VCenter: "vc1",
			Network: domain.NetworkSpec{IPPool: "lab", PodCIDR: pod, ServiceCIDR: "10." + strconv.Itoa(100+i) + ".0.0/16"}}
		c, err := s.CreateCluster(ctx, spec, "test")
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = c.ID
		for _, n := range []inventory.NodeRecord{
			{ClusterID: c.ID, Name: name + "-cp-0", Role: domain.RoleNameControlPlane, Ready: true},
			{ClusterID: c.ID, Name: name + "-md-default-0", Role: domain.RoleNameWorker, Pool: "default", Ready: true},
			{ClusterID: c.ID, Name: name + "-md-default-1", Role: domain.RoleNameWorker, Pool: "default", Ready: true},
		} {
			if err := s.UpsertNode(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		if name != "bare" {
			if err := s.UpsertAddon(ctx, c.ID, domain.Addon{Name: "antrea", ChartVersion: "2.7.0", Status: "deployed"}, "antrea", ""); err != nil {
				t.Fatal(err)
			}
		}
		phase := domain.PhaseReady
		if name == "young" {
			phase = domain.PhaseProvisioning
		}
		if err := s.SetClusterPhase(ctx, c.ID, phase, ""); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// clusterSetRows is what the ClusterSet tables and operations hold, to prove that a
// rejected request wrote nothing.
type clusterSetRows struct{ sets, members, operations int }

func countClusterSetRows(t *testing.T, env *apptest.Env) clusterSetRows {
	t.Helper()
	return clusterSetRows{
		sets:       countRows(t, env, "clustersets", ""),
		members:    countRows(t, env, "clusterset_members", ""),
		operations: countRows(t, env, "operations", "target_kind = 'clusterset'"),
	}
}
