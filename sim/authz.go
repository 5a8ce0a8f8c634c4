package sim

import (
	"fmt"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Privileges, the way the simulated vCenter models them.
//
// vcsim (govmomi v0.56) keeps roles (AddAuthorizationRole) and permissions
// (SetEntityPermissions) like vCenter, but its HasPrivilegeOnEntities answers "granted"
// for everything, whoever asks. Every simulated vCenter replaces its authorization
// manager, the way govmomi's simulator is meant to be extended (an object of the same
// reference in its map), with rbacAuthorizationManager, whose HasPrivilegeOnEntities
// evaluates the stored roles and permissions for the session's user: the permission on
// the entity itself, else the nearest propagating one on an ancestor (groups are not
// modelled). The service user holds the Admin role on the root folder; the cluster user
// (VCenterOptions.ClusterUsername) holds ClusterRole there: the vSphere CSI driver's
// documented roles and read-only, no VM provisioning. Other calls are not checked
// (vcsim does not), so the privileges show in the preflight's and the registration's
// checks only, as they would before vCenter refused a call.

// ClusterRole is the name of the role the cluster user holds on the root folder.
const ClusterRole = "clusterwright-cluster"

// ClusterRolePrivileges are the privileges of ClusterRole: CNS-DATASTORE,
// CNS-VM and CNS-SEARCH-AND-SPBM of the vSphere CSI documentation; vCenter (and vcsim)
// add the read-only System privileges to every role.
var ClusterRolePrivileges = []string{
	"Datastore.FileManagement",
	"VirtualMachine.Config.AddExistingDisk",
	"VirtualMachine.Config.AddRemoveDevice",
	"Cns.Searchable",
	"StorageProfile.View",
}

// adminRoleID is the id of vCenter's built-in Admin role.
const adminRoleID = -1

// maxEntityDepth bounds the walk up an entity's parents.
const maxEntityDepth = 256

type rbacAuthorizationManager struct {
	*simulator.AuthorizationManager
}

// enforcePrivileges installs rbacAuthorizationManager in the model and grants the
// service user Admin and the cluster user ClusterRole on the root folder.
func enforcePrivileges(model *simulator.Model, serviceUser, clusterUser string) error {
	m := model.Map()
	ref := *model.ServiceContent.AuthorizationManager
	orig, ok := m.Get(ref).(*simulator.AuthorizationManager)
	if !ok {
		return fmt.Errorf("simulated vCenter has no authorization manager at %v", ref)
	}
	ctx := model.Service.Context
	authz := &rbacAuthorizationManager{AuthorizationManager: orig}
	m.Put(authz)
	if res := authz.AddAuthorizationRole(&types.AddAuthorizationRole{Name: ClusterRole, PrivIds: ClusterRolePrivileges}); res.Fault() != nil {
		return fmt.Errorf("add role %s: %v", ClusterRole, res.Fault().VimFault())
	}
	role := object.AuthorizationRoleList(authz.RoleList).ByName(ClusterRole)
	root := model.ServiceContent.RootFolder
	body := authz.RetrieveEntityPermissions(ctx, &types.RetrieveEntityPermissions{Entity: root}).(*methods.RetrieveEntityPermissionsBody)
	perms := append(body.Res.Returnval,
		types.Permission{Entity: &root, Principal: serviceUser, RoleId: adminRoleID, Propagate: true},
		types.Permission{Entity: &root, Principal: clusterUser, RoleId: role.RoleId, Propagate: true})
	authz.SetEntityPermissions(&types.SetEntityPermissions{Entity: root, Permission: perms})
	return nil
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
	for depth := 0; cur != nil && depth < maxEntityDepth; depth++ {
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

// logins are the users a simulated vCenter accepts, with their passwords; a password
// can change while it runs (SetPassword).
type logins struct {
	mu        sync.Mutex
	passwords map[string]string
}

func (l *logins) valid(req *types.Login) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	pw, ok := l.passwords[req.UserName]
	return ok && req.Password != "" && pw == req.Password
}

func (l *logins) set(user, password string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.passwords[user]; !ok {
		return false
	}
	l.passwords[user] = password
	return true
}
