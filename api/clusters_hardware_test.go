package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestCreateClusterTemplateBelowHardware15 covers the rule that needs vCenter: a template
// below hardware version 15 is fine when the hosts can upgrade it, so the recorded
// inventory (which does not know the hosts) lets it through with 202, and the operation's
// first step, preflight, asks vCenter. Here the hosts stop at vmx-13 (as ESXi 6.5 hosts
// do): the step fails naming placement.template, the cluster ends Failed, and no VM,
// lease or secret is left.
func TestCreateClusterTemplateBelowHardware15(t *testing.T) {
	var model *simulator.Model
	opts := sim.VCenterOptions{Customize: func(m *simulator.Model) { model = m }}
	env := startClusterAPI(t, opts, func(ctx context.Context, c *govmomi.Client) {
		createTemplate(ctx, t, c, "ubuntu-old-hw", sim.TemplateGuestID, 13)
		limitHardwareVersions(ctx, t, model, c, 13)
	})
	spec := validSpec("old-hw")
	spec.Placement.Template = "ubuntu-old-hw"

	r := env.Do("POST", "/api/v1/clusters", env.AdminToken, spec)
	if r.Status != http.StatusAccepted {
		t.Fatalf("create: %d %s (the recorded inventory cannot tell whether vmx-13 can be upgraded)", r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	op := env.WaitOperation(reply.Operation.ID)
	if op.State != domain.OpFailed || len(op.Steps) == 0 {
		t.Fatalf("provision = %s %q, steps %+v; want Failed at preflight", op.State, op.Error, op.Steps)
	}
	first := op.Steps[0]
	if first.Name != workflows.StepPreflight || first.State != domain.StepFailed || first.Attempts != 1 ||
		!strings.Contains(first.Error, "placement.template") || !strings.Contains(first.Error, "cannot be upgraded") {
		t.Fatalf("first step = %+v; want preflight failed once naming placement.template", first)
	}
	for _, s := range op.Steps[1:] {
		if !strings.HasPrefix(s.Name, "compensate-") && s.State != domain.StepPending && s.State != domain.StepSkipped {
			t.Errorf("step %s ran after the failed preflight: %s", s.Name, s.State)
		}
	}

	var c domain.Cluster
	env.Do("GET", "/api/v1/clusters/old-hw", env.AdminToken, nil).JSON(t, &c)
	if c.Phase != domain.PhaseFailed || !strings.Contains(c.PhaseReason, "placement.template") {
		t.Errorf("cluster phase %s %q, want Failed naming placement.template", c.Phase, c.PhaseReason)
	}
	for table, where := range map[string]string{"ip_leases": "cluster_id = $1", "cluster_secrets": "cluster_id = $1", "nodes": "cluster_id = $1"} {
		if n := countRows(t, env, table, where, c.ID); n != 0 {
			t.Errorf("%s holds %d rows of the failed cluster", table, n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vms, err := vsphere.FindClusterVMs(ctx, vcenterClient(ctx, t, env).Client, c.ID)
	if err != nil {
		t.Fatalf("find VMs: %v", err)
	}
	if len(vms) != 0 {
		t.Errorf("the failed provision left VMs: %+v", vms)
	}
}

// limitHardwareVersions makes DC0_C0 offer hardware versions up to maxVersion only, as
// hosts of an older ESXi do. vcsim derives them from its hosts' ESXi version (vmx-21);
// this trims the descriptors its environment browser answers with.
func limitHardwareVersions(ctx context.Context, t *testing.T, model *simulator.Model, c *govmomi.Client, maxVersion int) {
	t.Helper()
	cluster, err := find.NewFinder(c.Client).ClusterComputeResource(ctx, "/"+sim.DefaultDatacenter+"/host/"+sim.DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	var cr mo.ComputeResource
	if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, cluster.Reference(), []string{"environmentBrowser"}, &cr); err != nil {
		t.Fatal(err)
	}
	browser, ok := model.Map().Get(*cr.EnvironmentBrowser).(*simulator.EnvironmentBrowser)
	if !ok {
		t.Fatalf("no environment browser %v in the simulator", cr.EnvironmentBrowser)
	}
	var kept []types.VirtualMachineConfigOptionDescriptor
	for _, d := range browser.QueryConfigOptionDescriptorResponse.Returnval {
		if v, err := types.ParseHardwareVersion(d.Key); err == nil && int(v) <= maxVersion {
			kept = append(kept, d)
		}
	}
	if len(kept) == 0 {
		t.Fatalf("no hardware version up to vmx-%d in the simulator", maxVersion)
	}
	browser.QueryConfigOptionDescriptorResponse.Returnval = kept
}
