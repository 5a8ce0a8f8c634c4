package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// preflightEnv is a simulated vCenter registered as "vc1" whose datastore has exactly
// the room preflightSpec needs, with activities on it.
type preflightEnv struct {
	*vmEnv
	sim *simModel
	a   *Activities
}

func newPreflightEnv(t *testing.T, opts sim.VCenterOptions) *preflightEnv {
	t.Helper()
	m := captureModel(t, &opts)
	env := newVMEnv(t, opts)
	pe := &preflightEnv{vmEnv: env, sim: m, a: newVMActivities(env)}
	pe.setFree(sim.DefaultDatastore, 300*gib)
	return pe
}

func (e *preflightEnv) setFree(datastore string, free int64) {
	e.t.Helper()
	ds, err := e.finder().Datastore(context.Background(), datastore)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sim.setDatastoreSpace(ds, 1000*gib, free)
}

func (e *preflightEnv) cluster() *object.ClusterComputeResource {
	e.t.Helper()
	c, err := e.finder().ClusterComputeResource(context.Background(), sim.DefaultCluster)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// createTemplate creates a template with hardware version vmx-<hw> and no disk.
func (e *preflightEnv) createTemplate(name string, hw int) {
	e.t.Helper()
	ctx := context.Background()
	folder, err := e.finder().Folder(ctx, "/DC0/vm")
	if err != nil {
		e.t.Fatal(err)
	}
	spec := types.VirtualMachineConfigSpec{
		Name: name, GuestId: sim.TemplateGuestID, Version: types.HardwareVersion(hw).String(), NumCPUs: 2, MemoryMB: 4096,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + sim.DefaultDatastore + "]"},
	}
	res := e.waitTask(folder.CreateVM(ctx, spec, e.rootPool(), nil))
	if err := object.NewVirtualMachine(e.c, res.(types.ManagedObjectReference)).MarkAsTemplate(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// preflightSpec needs 300 GiB (1 control plane and 2 workers of 60 GiB, plus one surge
// node per pool) on the default simulator placement.
func preflightSpec() domain.ClusterSpec {
	s := domain.ClusterSpec{
		Name: "dev-east", VCenter: "vc1", Placement: defaultPlacement(),
		ControlPlane: domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools:  []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}},
		Network:      domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
	}
	s.Defaults()
	return s
}

// preflightFields asserts that err is a non-retryable PreflightFailed error whose
// details list exactly fields (sorted), each also in the message, and returns it.
func preflightFields(t *testing.T, err error, fields ...string) *temporal.ApplicationError {
	t.Helper()
	appError(t, err, ErrTypePreflightFailed, false)
	var appErr *temporal.ApplicationError
	errors.As(err, &appErr)
	var details []domain.FieldError
	if err := appErr.Details(&details); err != nil {
		t.Fatalf("details of %v: %v", err, err)
	}
	var got []string
	for _, f := range details {
		got = append(got, f.Field)
		if !strings.Contains(appErr.Error(), f.Field+": "+f.Message) {
			t.Errorf("message %q does not list %s: %s", appErr.Error(), f.Field, f.Message)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, fields) {
		t.Fatalf("failed fields %v, want %v: %v", got, fields, err)
	}
	if strings.Contains(appErr.Error(), testPassword) {
		t.Errorf("the error carries the vCenter password: %v", err)
	}
	return appErr
}

func TestPreflightPassesForDefaultPlacement(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	report, err := e.a.Preflight(context.Background(), PreflightInput{VCenterID: "vc1", Spec: preflightSpec()})
	if err != nil {
		t.Fatal(err)
	}
	want := PreflightReport{
		TemplateHardwareVersion: 19, MaxHardwareVersion: 21, // ESXi 8.0.2 hosts
		DatastoreFreeBytes: 300 * gib, RequiredDiskGiB: 300,
		User: sim.DefaultUsername, Privileges: countPrivileges(),
		ClusterUser: sim.DefaultClusterUsername, ClusterPrivileges: countClusterPrivileges(),
	}
	if report != want {
		t.Fatalf("report %+v, want %+v", report, want)
	}
}

func countPrivileges() int {
	n := 0
	for _, p := range ProvisioningPrivileges {
		n += len(p)
	}
	return n
}

// countClusterPrivileges is the number of pairs the cluster account's check asks about
// on the default placement: every needed one, and the forbidden ones on the root
// folder, the template and the VM folder.
func countClusterPrivileges() int {
	n := len(forbiddenOn) * len(ForbiddenClusterPrivileges)
	for _, p := range ClusterPrivileges {
		n += len(p)
	}
	return n
}

func TestPreflightNamesEachFailedRule(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	e.createTemplate("old-hw", 13)
	ctx := context.Background()

	tests := []struct {
		name    string
		setup   func()
		mutate  func(*domain.ClusterSpec)
		fields  []string
		message string
	}{
		{"missing template", nil, func(s *domain.ClusterSpec) { s.Placement.Template = "nope" },
			[]string{"placement.template"}, `placement.template: "nope" not found in datacenter DC0`},
		{"a VM, not a template", nil, func(s *domain.ClusterSpec) { s.Placement.Template = "DC0_C0_RP0_VM0" },
			[]string{"placement.template"}, "is a virtual machine, not a template"},
		{"every missing placement object at once", nil, func(s *domain.ClusterSpec) {
			s.Placement.Folder, s.Placement.ResourcePool, s.Placement.Datastore, s.Placement.Network = "k9s", "team-z", "nope", "DMZ"
		}, []string{"placement.datastore", "placement.folder", "placement.network", "placement.resource_pool"}, "not found"},
		{"missing datacenter hides the rest", nil, func(s *domain.ClusterSpec) { s.Placement.Datacenter, s.Placement.Template = "DC9", "nope" },
			[]string{"placement.datacenter"}, `"DC9" not found`},
		{"datastore 1 GiB short", func() { e.setFree(sim.DefaultDatastore, 299*gib) }, func(*domain.ClusterSpec) {},
			[]string{"placement.datastore"}, "has 299.0 GiB free; the cluster needs 300 GiB (3 nodes and 2 upgrade surge nodes)"},
		{"datastore short for a bigger pool", nil, func(s *domain.ClusterSpec) { s.WorkerPools[0].DiskGiB = 61 },
			[]string{"placement.datastore"}, "needs 303 GiB"}, // 2 x 60 + 3 x 61
		{"hardware vmx-13 on hosts that stop at vmx-13", func() { e.sim.limitHardwareVersions(e.cluster(), 13) },
			func(s *domain.ClusterSpec) { s.Placement.Template = "old-hw" },
			[]string{"placement.template"}, "has hardware version vmx-13, below vmx-15, and cannot be upgraded: the hosts of the compute cluster support at most vmx-13"},
		{"invalid spec", nil, func(s *domain.ClusterSpec) { s.ControlPlane.Replicas = 2 },
			[]string{"control_plane.replicas"}, "must be odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.setFree(sim.DefaultDatastore, 300*gib)
			if tt.setup != nil {
				tt.setup()
			}
			spec := preflightSpec()
			tt.mutate(&spec)
			_, err := e.a.Preflight(ctx, PreflightInput{VCenterID: "vc1", Spec: spec})
			appErr := preflightFields(t, err, tt.fields...)
			if !strings.Contains(appErr.Error(), tt.message) {
				t.Errorf("error %q does not say %q", appErr.Error(), tt.message)
			}
			t.Logf("%v", appErr)
		})
	}
}

// A template whose disk file is gone from the datastore still lists the disk; preflight
// names the template and the file instead of letting the clones fail.
func TestPreflightNamesTemplateWithMissingDisk(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	dc, err := e.finder().Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	disk := fmt.Sprintf("[%s] %s/%s.vmdk", sim.DefaultDatastore, sim.DefaultTemplate, sim.DefaultTemplate)
	run := func() error {
		_, err := e.a.Preflight(ctx, PreflightInput{VCenterID: "vc1", Spec: preflightSpec()})
		return err
	}
	if err := run(); err != nil {
		t.Fatalf("with the template's disk in place: %v", err)
	}

	e.waitTask(object.NewVirtualDiskManager(e.c).DeleteVirtualDisk(ctx, disk, dc))
	appErr := preflightFields(t, run(), "placement.template")
	want := fmt.Sprintf("placement.template: template %q has disk %s, but that file is missing from the datastore", sim.DefaultTemplate, disk)
	if !strings.Contains(appErr.Error(), want) {
		t.Errorf("error %q does not say %q", appErr.Error(), want)
	}
}

func TestPreflightOldTemplateUpgradable(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	e.createTemplate("old-hw", 13)
	spec := preflightSpec()
	spec.Placement.Template = "old-hw"
	report, err := e.a.Preflight(context.Background(), PreflightInput{VCenterID: "vc1", Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if report.TemplateHardwareVersion != 13 || !report.HardwareUpgrade || report.MaxHardwareVersion != 21 {
		t.Fatalf("report %+v: want vmx-13, to be upgraded, hosts up to vmx-21", report)
	}
}

func TestPreflightPrivileges(t *testing.T) {
	const user = "k8s-provisioner@vsphere.local"
	e := newPreflightEnv(t, sim.VCenterOptions{Username: user})
	ctx := context.Background()
	authz := object.NewAuthorizationManager(e.c)
	root := e.c.ServiceContent.RootFolder
	// The service user's privileges only: clusters share it here, so the cluster
	// account's check (TestPreflightClusterAccount) does not run.
	e.a.Store.(*memStore).cluster["vc1"] = domain.ClusterAccountCredentials{VCenterCredentials: e.vc.Credentials(), Shared: true}
	if err := authz.RemoveEntityPermission(ctx, root, user, false); err != nil {
		t.Fatal(err)
	}

	// addRole returns the id of the new role by its name: vcsim's AddAuthorizationRole
	// does not return it.
	addRole := func(name string, privileges []string) int32 {
		t.Helper()
		if _, err := authz.AddRole(ctx, name, privileges); err != nil {
			t.Fatal(err)
		}
		roles, err := authz.RoleList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		role := roles.ByName(name)
		if role == nil {
			t.Fatalf("role %s was not added", name)
		}
		return role.RoleId
	}
	grant := func(roleName string, privileges []string) {
		t.Helper()
		id := addRole(roleName, privileges)
		err := authz.SetEntityPermissions(ctx, root, []types.Permission{{Entity: &root, Principal: user, RoleId: id, Propagate: true}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	for _, p := range ProvisioningPrivileges {
		all = append(all, p...)
	}
	run := func() error {
		_, err := e.a.Preflight(ctx, PreflightInput{VCenterID: "vc1", Spec: preflightSpec()})
		return err
	}

	// No permission anywhere: every entity lacks its privileges.
	appErr := preflightFields(t, run(), "placement.datastore", "placement.folder", "placement.network",
		"placement.resource_pool", "placement.template")
	if msg := appErr.Error(); !strings.Contains(msg, `user "`+user+`" lacks Network.Assign on network "VM Network"`) {
		t.Errorf("message %q does not name the user, privilege and entity", msg)
	}

	// All but two privileges, granted on the root folder and propagated.
	partial := slices.DeleteFunc(slices.Clone(all), func(p string) bool {
		return p == "Network.Assign" || p == "VirtualMachine.Provisioning.DeployTemplate"
	})
	grant("clusterwright-partial", partial)
	appErr = preflightFields(t, run(), "placement.network", "placement.template")
	if msg := appErr.Error(); !strings.Contains(msg, "lacks VirtualMachine.Provisioning.DeployTemplate on template") ||
		strings.Contains(msg, "Provisioning.Clone") {
		t.Errorf("message %q: want only DeployTemplate missing on the template", msg)
	}

	// A permission on the network itself overrides the propagated one.
	net, err := e.finder().Network(ctx, sim.DefaultNetwork)
	if err != nil {
		t.Fatal(err)
	}
	netID := addRole("clusterwright-network", []string{"Network.Assign"})
	netRef := net.Reference()
	if err := authz.SetEntityPermissions(ctx, netRef, []types.Permission{{Entity: &netRef, Principal: user, RoleId: netID}}); err != nil {
		t.Fatal(err)
	}
	preflightFields(t, run(), "placement.template")

	// Every required privilege: preflight passes.
	grant("clusterwright", all)
	if err := run(); err != nil {
		t.Fatalf("with every required privilege: %v", err)
	}
}

func TestPreflightVCenterErrors(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	store := e.a.Store.(*memStore)
	ctx := context.Background()

	down := e.vc.Credentials()
	down.Server = "https://" + closedAddr(t) + "/sdk"
	store.creds["down"] = down
	_, err := e.a.Preflight(ctx, PreflightInput{VCenterID: "down", Spec: preflightSpec()})
	appError(t, err, ErrTypeUnreachable, true)

	wrong := e.vc.Credentials()
	wrong.Password = "not-" + testPassword
	store.creds["wrong"] = wrong
	_, err = e.a.Preflight(ctx, PreflightInput{VCenterID: "wrong", Spec: preflightSpec()})
	appError(t, err, ErrTypeBadCredentials, false)
	if strings.Contains(err.Error(), wrong.Password) {
		t.Errorf("error carries the password: %v", err)
	}

	_, err = e.a.Preflight(ctx, PreflightInput{VCenterID: "unknown", Spec: preflightSpec()})
	appError(t, err, ErrTypeNotFound, false)
}
