package vsphere

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// The simulator's cluster role is what ClusterPrivileges asks for, and holds none of
// the forbidden privileges.
func TestSimClusterRoleIsLeastPrivilege(t *testing.T) {
	var need []string
	for _, p := range ClusterPrivileges {
		for _, priv := range p {
			if !strings.HasPrefix(priv, "System.") {
				need = append(need, priv)
			}
		}
	}
	for _, priv := range need {
		if !slices.Contains(sim.ClusterRolePrivileges, priv) {
			t.Errorf("sim.ClusterRolePrivileges lacks %s", priv)
		}
	}
	for _, priv := range ForbiddenClusterPrivileges {
		if slices.Contains(sim.ClusterRolePrivileges, priv) {
			t.Errorf("sim.ClusterRolePrivileges holds forbidden %s", priv)
		}
	}
}

// setClusterRole gives the simulator's cluster user a new role with privileges on the
// root folder, replacing its permission there.
func setClusterRole(t *testing.T, e *preflightEnv, name string, privileges []string) {
	t.Helper()
	ctx := context.Background()
	authz := object.NewAuthorizationManager(e.c)
	if _, err := authz.AddRole(ctx, name, privileges); err != nil {
		t.Fatal(err)
	}
	roles, err := authz.RoleList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := e.c.ServiceContent.RootFolder
	if err := authz.RemoveEntityPermission(ctx, root, e.vc.ClusterUsername, false); err != nil {
		t.Fatal(err)
	}
	all, err := authz.RetrieveEntityPermissions(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, types.Permission{Entity: &root, Principal: e.vc.ClusterUsername, RoleId: roles.ByName(name).RoleId, Propagate: true})
	if err := authz.SetEntityPermissions(ctx, root, all); err != nil {
		t.Fatal(err)
	}
}

func TestPreflightClusterAccount(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	store := e.a.Store.(*memStore)
	ctx := context.Background()
	run := func() (PreflightReport, error) {
		return e.a.Preflight(ctx, PreflightInput{VCenterID: "vc1", Spec: preflightSpec()})
	}

	// The simulator's least-privileged cluster user passes.
	report, err := run()
	if err != nil || report.ClusterUser != sim.DefaultClusterUsername || report.ClusterAccountShared {
		t.Fatalf("with the least-privileged cluster user: %+v, %v", report, err)
	}

	// A cluster account that may clone and delete VMs is refused, naming the vCenter.
	setClusterRole(t, e, "too-much", append(slices.Clone(sim.ClusterRolePrivileges),
		"VirtualMachine.Provisioning.Clone", "VirtualMachine.Inventory.Delete"))
	_, err = run()
	appErr := preflightFields(t, err, "vcenter", "vcenter", "vcenter")
	for _, want := range []string{`cluster account "` + sim.DefaultClusterUsername + `" holds VM provisioning privileges`,
		"VirtualMachine.Provisioning.Clone, VirtualMachine.Inventory.Delete on the vCenter root folder", `on template "` + sim.DefaultTemplate + `"`} {
		if !strings.Contains(appErr.Error(), want) {
			t.Errorf("error %q does not say %q", appErr.Error(), want)
		}
	}
	if strings.Contains(appErr.Error(), e.vc.ClusterPassword) {
		t.Error("the error carries the cluster account's password")
	}

	// One that lacks the CSI driver's privileges is refused, naming each entity.
	setClusterRole(t, e, "too-little", []string{"Cns.Searchable"})
	_, err = run()
	appErr = preflightFields(t, err, "placement.datastore", "placement.folder", "vcenter")
	if !strings.Contains(appErr.Error(), "lacks Datastore.FileManagement on datastore") ||
		!strings.Contains(appErr.Error(), "lacks StorageProfile.View on the vCenter root folder") {
		t.Errorf("error %q does not name the missing privileges", appErr.Error())
	}

	// A wrong cluster password names the vCenter and the fix.
	wrong := e.vc.ClusterCredentials()
	wrong.Password = "not-" + wrong.Password
	store.cluster["vc1"] = domain.ClusterAccountCredentials{VCenterCredentials: wrong}
	_, err = run()
	appErr = preflightFields(t, err, "vcenter")
	if !strings.Contains(appErr.Error(), "refused the cluster account") || strings.Contains(appErr.Error(), wrong.Password) {
		t.Errorf("error %q", appErr.Error())
	}

	// No cluster account, not shared: the service refuses to give clusters its own.
	delete(store.cluster, "vc1")
	_, err = run()
	appErr = preflightFields(t, err, "vcenter")
	if !strings.Contains(appErr.Error(), `vCenter "vc1" has no cluster account`) ||
		!strings.Contains(appErr.Error(), "PATCH /api/v1/vcenters/vc1") {
		t.Errorf("error %q does not name the vCenter and the fix", appErr.Error())
	}

	// Shared on purpose: passes, and says so.
	store.cluster["vc1"] = domain.ClusterAccountCredentials{VCenterCredentials: e.vc.Credentials(), Shared: true}
	if report, err = run(); err != nil || !report.ClusterAccountShared || report.ClusterUser != e.vc.Username {
		t.Fatalf("shared: %+v, %v", report, err)
	}
}

func TestCheckClusterAccount(t *testing.T) {
	e := newPreflightEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	if err := CheckClusterAccount(ctx, e.vc.ClusterCredentials()); err != nil {
		t.Fatalf("least-privileged cluster user: %v", err)
	}
	// The service account itself holds every provisioning privilege: refused.
	var acctErr *ClusterAccountError
	err := CheckClusterAccount(ctx, e.vc.Credentials())
	if !errors.As(err, &acctErr) || !strings.Contains(err.Error(), "VirtualMachine.Provisioning.Clone") {
		t.Fatalf("service account as cluster account: %v", err)
	}
	wrong := e.vc.ClusterCredentials()
	wrong.Password = "not-" + wrong.Password
	if err := CheckClusterAccount(ctx, wrong); !errors.Is(err, ErrBadCredentials) || strings.Contains(err.Error(), wrong.Password) {
		t.Fatalf("wrong password: %v", err)
	}
	// A password rotated in vCenter: the old one fails, the new one works.
	if err := e.vc.SetPassword(e.vc.ClusterUsername, "rotated-"+e.vc.ClusterPassword); err != nil {
		t.Fatal(err)
	}
	if err := CheckClusterAccount(ctx, e.vc.ClusterCredentials()); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}
