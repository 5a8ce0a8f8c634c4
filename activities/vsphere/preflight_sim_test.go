package vsphere

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

// What vcsim (govmomi v0.56) cannot do, and how these tests make it:
//
//   - Privileges: vcsim keeps roles (AddAuthorizationRole) and permissions
//     (SetEntityPermissions) like vCenter, but HasPrivilegeOnEntities,
//     HasUserPrivilegeOnEntities and FetchUserPrivilegeOnEntities answer "granted" for
//     everything, whoever asks. rbacAuthorizationManager extends it the way govmomi's
//     simulator is meant to be extended (an object of the same reference in its map):
//     HasPrivilegeOnEntities evaluates the roles and permissions stored in vcsim for
//     the session's user (the nearest permission on the entity or a propagating one
//     on an ancestor wins; groups are not modelled).
//   - Hosts that cannot run hardware version 15: vcsim derives each compute
//     resource's hardware versions from its hosts' ESXi version (8.0.2, so vmx-21);
//     limitHardwareVersions trims the environment browser's descriptors to what
//     ESXi 6.5 hosts offer (up to vmx-13).
//   - Datastore space: vcsim reports the free space of the directory behind the
//     datastore; setDatastoreSpace sets the summary a test needs.

// simModel is a started vCenter's govmomi model, captured by VCenterOptions.Customize.
type simModel struct {
	t     *testing.T
	model *simulator.Model
}

// captureModel sets opts.Customize to record the model in the returned simModel.
func captureModel(t *testing.T, opts *sim.VCenterOptions) *simModel {
	m := &simModel{t: t}
	opts.Customize = func(model *simulator.Model) { m.model = model }
	return m
}

func (m *simModel) get(ref types.ManagedObjectReference) mo.Reference {
	m.t.Helper()
	obj := m.model.Map().Get(ref)
	if obj == nil {
		m.t.Fatalf("no object %v in the simulator", ref)
	}
	return obj
}

// setDatastoreSpace sets the capacity and free space that the datastore reports.
func (m *simModel) setDatastoreSpace(ds *object.Datastore, capacity, free int64) {
	m.t.Helper()
	obj := m.get(ds.Reference()).(*simulator.Datastore)
	m.model.Map().AtomicUpdate(m.model.Service.Context, obj, []types.PropertyChange{
		{Name: "summary.capacity", Val: capacity},
		{Name: "summary.freeSpace", Val: free},
	})
}

// limitHardwareVersions makes the compute cluster offer hardware versions up to
// maxVersion only, as hosts of an older ESXi do.
func (m *simModel) limitHardwareVersions(c *object.ClusterComputeResource, maxVersion int) {
	m.t.Helper()
	var cr mo.ComputeResource
	if err := property.DefaultCollector(c.Client()).RetrieveOne(context.Background(), c.Reference(), []string{"environmentBrowser"}, &cr); err != nil {
		m.t.Fatal(err)
	}
	browser := m.get(*cr.EnvironmentBrowser).(*simulator.EnvironmentBrowser)
	var kept []types.VirtualMachineConfigOptionDescriptor
	for _, d := range browser.QueryConfigOptionDescriptorResponse.Returnval {
		if hardwareVersion(d.Key) <= maxVersion {
			kept = append(kept, d)
		}
	}
	if len(kept) == 0 {
		m.t.Fatalf("no hardware version up to %d in the simulator", maxVersion)
	}
	browser.QueryConfigOptionDescriptorResponse.Returnval = kept
}

// enforcePrivileges replaces vcsim's authorization manager with one whose
// HasPrivilegeOnEntities evaluates the stored roles and permissions.
func (m *simModel) enforcePrivileges() {
	m.t.Helper()
	ref := *m.model.ServiceContent.AuthorizationManager
	orig := m.get(ref).(*simulator.AuthorizationManager)
	m.model.Map().Put(&rbacAuthorizationManager{AuthorizationManager: orig})
}

type rbacAuthorizationManager struct {
	*simulator.AuthorizationManager
}

// HasPrivilegeOnEntities answers for the session of the caller only (as vCenter, a
// session may be asked about itself); another session id has no privileges.
func (m *rbacAuthorizationManager) HasPrivilegeOnEntities(ctx *simulator.Context, req *types.HasPrivilegeOnEntities) soap.HasFault {
	user := ""
	if ctx.Session != nil && ctx.Session.Key == req.SessionId {
		user = ctx.Session.UserName
	}
	var out []types.EntityPrivilege
	for _, e := range req.Entity {
		held := m.privileges(ctx, e, user)
		ep := types.EntityPrivilege{Entity: e}
		for _, id := range req.PrivId {
			ep.PrivAvailability = append(ep.PrivAvailability, types.PrivilegeAvailability{PrivId: id, IsGranted: held[id]})
		}
		out = append(out, ep)
	}
	return &methods.HasPrivilegeOnEntitiesBody{Res: &types.HasPrivilegeOnEntitiesResponse{Returnval: out}}
}

// privileges returns the privileges of the role that user holds on entity: that of a
// permission on the entity itself, else of the nearest propagating one above it.
func (m *rbacAuthorizationManager) privileges(ctx *simulator.Context, entity types.ManagedObjectReference, user string) map[string]bool {
	if user == "" {
		return nil
	}
	cur := &entity
	for depth := 0; cur != nil && depth < maxDepth; depth++ {
		body := m.RetrieveEntityPermissions(ctx, &types.RetrieveEntityPermissions{Entity: *cur}).(*methods.RetrieveEntityPermissionsBody)
		for _, p := range body.Res.Returnval {
			if p.Group || p.Principal != user || (depth > 0 && !p.Propagate) {
				continue
			}
			held := map[string]bool{}
			if role := object.AuthorizationRoleList(m.RoleList).ById(p.RoleId); role != nil {
				for _, id := range role.Privilege {
					held[id] = true
				}
			}
			return held
		}
		e, ok := ctx.Map.Get(*cur).(mo.Entity)
		if !ok {
			return nil
		}
		cur = e.Entity().Parent
	}
	return nil
}
