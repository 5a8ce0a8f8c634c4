package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// The cluster API tests run the real stack (Postgres, Temporal, worker, vcsim) without
// booting Kubernetes: they check what POST, DELETE and the kubeconfig route answer and
// what they write, not the provisioning itself (app/ tests that).

// startClusterAPI starts Clusterwright on a simulated vCenter, lets prepare change the
// vCenter first (e.g. add templates), registers it as "vc1" and waits for its inventory
// sync, and creates two IP pools: "lab" (127.71.0.10-250 in 127.71.0.0/24) and "tiny"
// (the 5 addresses 127.72.0.10-14).
func startClusterAPI(t *testing.T, opts sim.VCenterOptions, prepare func(context.Context, *govmomi.Client)) *apptest.Env {
	t.Helper()
	env := apptest.StartWith(t, apptest.Options{VCenter: opts})
	if prepare != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c := vcenterClient(ctx, t, env)
		prepare(ctx, c)
	}
	env.RegisterVCenter("vc1")
	env.CreateIPPool(domain.IPPoolInput{Name: "lab", CIDR: "127.71.0.0/24", RangeStart: "127.71.0.10", RangeEnd: "127.71.0.250", Gateway: "127.71.0.1"})
	env.CreateIPPool(domain.IPPoolInput{Name: "tiny", CIDR: "127.72.0.0/24", RangeStart: "127.72.0.10", RangeEnd: "127.72.0.14", Gateway: "127.72.0.1"})
	return env
}

// vcenterClient logs in to the simulated vCenter with govmomi; it logs out when the test ends.
func vcenterClient(ctx context.Context, t *testing.T, env *apptest.Env) *govmomi.Client {
	t.Helper()
	u := env.VCenter.URL()
	u.User = url.UserPassword(env.VCenter.Username, env.VCenter.Password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatalf("govmomi login: %v", err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

// createTemplate makes a VM template (no disk) in DC0's VM folder on DC0_C0 with the
// guest OS and hardware version given.
func createTemplate(ctx context.Context, t *testing.T, c *govmomi.Client, name, guestID string, hw int) {
	t.Helper()
	finder := find.NewFinder(c.Client)
	dc, err := finder.Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := finder.ClusterComputeResource(ctx, sim.DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := types.VirtualMachineConfigSpec{
		Name: name, GuestId: guestID, Version: types.HardwareVersion(hw).String(), NumCPUs: 2, MemoryMB: 4096,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + sim.DefaultDatastore + "]"},
	}
	task, err := folders.VmFolder.CreateVM(ctx, spec, pool, nil)
	if err != nil {
		t.Fatalf("create VM %s: %v", name, err)
	}
	res, err := task.WaitForResult(ctx)
	if err != nil {
		t.Fatalf("create VM %s: %v", name, err)
	}
	vm := object.NewVirtualMachine(c.Client, res.Result.(types.ManagedObjectReference))
	if err := vm.MarkAsTemplate(ctx); err != nil {
		t.Fatalf("mark %s as a template: %v", name, err)
	}
}

// validSpec is a spec that passes every check in startClusterAPI's vCenter: one control
// plane and two workers at the hardware floor, on pool "lab", with the default version.
func validSpec(name string) domain.ClusterSpec {
	return domain.ClusterSpec{
		Name: name, VCenter: "vc1",
		Placement: domain.Placement{Datacenter: sim.DefaultDatacenter, ComputeCluster: sim.DefaultCluster,
			Datastore: sim.DefaultDatastore, Network: sim.DefaultNetwork, Template: sim.DefaultTemplate},
		ControlPlane: domain.NodeShape{Replicas: 1, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools:  []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}},
		Network:      domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
	}
}

// problem is a problem+json reply as the tests read it.
type problem struct {
	Type      string
	Title     string
	Status    int
	Detail    string
	Operation string
	Errors    []domain.FieldError
}

// readProblem decodes a problem reply and checks its status and content type.
func readProblem(t *testing.T, r apptest.Response, status int) problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p problem
	r.JSON(t, &p)
	if p.Status != status {
		t.Fatalf("problem status %d in a %d reply: %s", p.Status, status, r.Body)
	}
	return p
}

// fieldNames is the sorted, distinct fields of a problem; each must have a message.
func (p problem) fieldNames(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range p.Errors {
		if e.Message == "" {
			t.Errorf("field %s has no message", e.Field)
		}
		if !slices.Contains(out, e.Field) {
			out = append(out, e.Field)
		}
	}
	sort.Strings(out)
	return out
}

// message is the message of field in p, or "".
func (p problem) message(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// countRows counts the rows of a table that match where (SQL).
func countRows(t *testing.T, env *apptest.Env, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := env.App.Store.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// assertNoClusterWritten checks, through the API and in the database, that no cluster
// exists and that no cluster operation, lease, node or secret was written.
func assertNoClusterWritten(t *testing.T, env *apptest.Env) {
	t.Helper()
	var clusters struct{ Items []domain.Cluster }
	env.Do("GET", "/api/v1/clusters", env.AdminToken, nil).JSON(t, &clusters)
	if len(clusters.Items) != 0 {
		t.Errorf("GET /api/v1/clusters lists %d clusters", len(clusters.Items))
	}
	var ops struct{ Items []domain.Operation }
	env.Do("GET", "/api/v1/operations?limit=500", env.AdminToken, nil).JSON(t, &ops)
	for _, op := range ops.Items {
		if op.Kind != domain.OpSyncInventory {
			t.Errorf("an operation was started: %s on %s %s", op.Kind, op.Target.Kind, op.Target.Name)
		}
	}
	for _, pool := range []string{"lab", "tiny"} {
		var p domain.IPPool
		env.Do("GET", "/api/v1/ippools/"+pool, env.AdminToken, nil).JSON(t, &p)
		if len(p.Leases) != 0 || p.Free != p.Size {
			t.Errorf("pool %s has leases: %+v", pool, p.Leases)
		}
	}
	for _, table := range []string{"clusters", "ip_leases", "nodes", "cluster_secrets", "cluster_addons"} {
		if n := countRows(t, env, table, ""); n != 0 {
			t.Errorf("%s has %d rows", table, n)
		}
	}
	if n := countRows(t, env, "operations", "target_kind = 'cluster'"); n != 0 {
		t.Errorf("%d cluster operations recorded", n)
	}
}

// auditEvents lists the audit events of an action, newest first.
func auditEvents(t *testing.T, env *apptest.Env, action string) []domain.AuditEvent {
	t.Helper()
	var audit struct{ Items []domain.AuditEvent }
	r := env.Do("GET", "/api/v1/audit?limit=500&action="+url.QueryEscape(action), env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &audit)
	return audit.Items
}

// hasAudit reports whether events hold one of actor with outcome and status on target.
func hasAudit(events []domain.AuditEvent, actor, target, outcome string, status int) bool {
	return slices.ContainsFunc(events, func(e domain.AuditEvent) bool {
		return e.Actor == actor && e.Target == target && e.Outcome == outcome && e.Status == status && e.RequestID != ""
	})
}
