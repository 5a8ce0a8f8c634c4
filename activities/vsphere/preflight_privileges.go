package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// ProvisioningPrivileges are the vCenter privileges the service's own account needs to
// provision a cluster, by the placement field of the entity they are needed on
// ("vcenter" is the root folder): those of a clone-provisioning tool. The privileges of
// the clusters' vSphere CSI driver and cloud provider are the cluster account's
// (ClusterPrivileges).
//
// The node VMs do not exist yet, so the privileges needed on them are checked on the
// folder they are created in, from which they inherit their permissions.
var ProvisioningPrivileges = map[string][]string{
	"placement.template": {
		"VirtualMachine.Provisioning.Clone",
		"VirtualMachine.Provisioning.DeployTemplate",
	},
	"placement.folder": {
		"VirtualMachine.Inventory.CreateFromExisting",
		"VirtualMachine.Inventory.Delete",
		"VirtualMachine.Config.AddNewDisk",
		"VirtualMachine.Config.AddRemoveDevice", // ParaVirtual SCSI controller, NIC
		"VirtualMachine.Config.DiskExtend",
		"VirtualMachine.Config.Resource",
		"VirtualMachine.Config.AdvancedConfig", // guestinfo, disk.EnableUUID
		"VirtualMachine.Config.UpgradeVirtualHardware",
		"VirtualMachine.Config.EditDevice",
		"VirtualMachine.Config.CPUCount",
		"VirtualMachine.Config.Memory",
		"VirtualMachine.Config.Settings",
		"VirtualMachine.Interact.PowerOn",
		"VirtualMachine.Interact.PowerOff",
	},
	"placement.resource_pool": {
		"Resource.AssignVMToPool",
	},
	"placement.datastore": {
		"Datastore.AllocateSpace",
	},
	"placement.network": {
		"Network.Assign",
	},
}

// ClusterPrivileges are the privileges the cluster account (the one workload clusters'
// vSphere CSI driver and cloud provider log in with) needs, by placement field: the
// vSphere CSI driver's documented roles CNS-SEARCH-AND-SPBM on the vCenter,
// CNS-DATASTORE on the datastore, CNS-VM on the node VMs (checked on their folder), and
// read-only everywhere, which is all the cloud provider needs.
var ClusterPrivileges = map[string][]string{
	"vcenter": {
		"System.Read",         // read-only: the cloud provider
		"Cns.Searchable",      // CNS-SEARCH-AND-SPBM
		"StorageProfile.View", // CNS-SEARCH-AND-SPBM: storage policies of the StorageClass
	},
	"placement.folder": {
		"VirtualMachine.Config.AddExistingDisk", // CNS-VM
		"VirtualMachine.Config.AddRemoveDevice", // CNS-VM
	},
	"placement.datastore": {
		"Datastore.FileManagement", // CNS-DATASTORE
	},
}

// ForbiddenClusterPrivileges are the VM provisioning privileges a cluster account must
// not hold on the vCenter root folder, the template or the VM folder: with them, an
// admin of any cluster could create, clone, delete or power VMs.
var ForbiddenClusterPrivileges = []string{
	"VirtualMachine.Provisioning.Clone",
	"VirtualMachine.Provisioning.DeployTemplate",
	"VirtualMachine.Inventory.Create",
	"VirtualMachine.Inventory.CreateFromExisting",
	"VirtualMachine.Inventory.Delete",
	"VirtualMachine.Interact.PowerOn",
	"VirtualMachine.Interact.PowerOff",
}

// forbiddenOn are the fields whose entities ForbiddenClusterPrivileges are checked on.
var forbiddenOn = []string{"vcenter", "placement.template", "placement.folder"}

// privilegeTarget is an entity whose privileges are checked, by the field naming it.
type privilegeTarget struct {
	field, what string
	ref         types.ManagedObjectReference
}

// placementTargets are the vCenter root folder and the resolved placement entities.
func placementTargets(c *vim25.Client, pl *livePlacement, p domain.Placement) []privilegeTarget {
	targets := []privilegeTarget{{"vcenter", "the vCenter root folder", c.ServiceContent.RootFolder}}
	if pl == nil {
		return targets
	}
	add := func(field, what string, ref types.ManagedObjectReference) {
		targets = append(targets, privilegeTarget{field, what, ref})
	}
	if pl.template != nil {
		add("placement.template", fmt.Sprintf("template %q", p.Template), pl.template.Reference())
	}
	if pl.folder != nil {
		add("placement.folder", fmt.Sprintf("VM folder %q", orDefault(p.Folder, pl.folder.InventoryPath)), pl.folder.Reference())
	}
	if pl.pool != nil {
		add("placement.resource_pool", fmt.Sprintf("resource pool %q", orDefault(p.ResourcePool, pl.pool.InventoryPath)), pl.pool.Reference())
	}
	if pl.datastore != nil {
		add("placement.datastore", fmt.Sprintf("datastore %q", p.Datastore), pl.datastore.Reference())
	}
	if pl.network != nil {
		add("placement.network", fmt.Sprintf("network %q", p.Network), pl.network.Reference())
	}
	return targets
}

// heldPrivileges asks vCenter, in one call, which of privs the session's user holds on
// each target. noPermission is true when the user may not even ask.
func heldPrivileges(ctx context.Context, c *vim25.Client, targets []privilegeTarget, privs []string) (user string, held map[types.ManagedObjectReference]map[string]bool, noPermission bool, err error) {
	us, err := session.NewManager(c).UserSession(ctx)
	if err != nil {
		return "", nil, false, fmt.Errorf("read the current session: %w", err)
	}
	if us == nil {
		return "", nil, false, fmt.Errorf("read the current session: %w", ErrBadCredentials)
	}
	privs = slices.Clone(privs)
	slices.Sort(privs)
	privs = slices.Compact(privs)
	entities := make([]types.ManagedObjectReference, len(targets))
	for i, t := range targets {
		entities[i] = t.ref
	}
	res, err := methods.HasPrivilegeOnEntities(ctx, c, &types.HasPrivilegeOnEntities{
		This: *c.ServiceContent.AuthorizationManager, Entity: entities, SessionId: us.Key, PrivId: privs,
	})
	if isFault(err, &types.NoPermission{}) {
		return us.UserName, nil, true, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("check privileges of %q: %w", us.UserName, err)
	}
	held = map[types.ManagedObjectReference]map[string]bool{}
	for _, ep := range res.Returnval {
		g := map[string]bool{}
		for _, pa := range ep.PrivAvailability {
			g[pa.PrivId] = pa.IsGranted
		}
		held[ep.Entity] = g
	}
	return us.UserName, held, false, nil
}

// checkPrivileges asks vCenter which ProvisioningPrivileges the session's user (the
// service account) holds on the resolved placement entities, and returns the user, the
// number of (entity, privilege) pairs checked, and a problem per entity lacking any.
// Entities that were not found are not checked.
func checkPrivileges(ctx context.Context, c *vim25.Client, pl *livePlacement, p domain.Placement) (string, int, []domain.FieldError, error) {
	targets := placementTargets(c, pl, p)
	var all []string
	for _, t := range targets {
		all = append(all, ProvisioningPrivileges[t.field]...)
	}
	if len(all) == 0 {
		return "", 0, nil, nil
	}
	user, held, noPerm, err := heldPrivileges(ctx, c, targets, all)
	if err != nil {
		return "", 0, nil, err
	}
	if noPerm {
		return user, 0, []domain.FieldError{{Field: "vcenter",
			Message: fmt.Sprintf("user %q may not read its own privileges (it needs System.View on the root folder)", user)}}, nil
	}
	var problems []domain.FieldError
	checked := 0
	for _, t := range targets {
		var missing []string
		for _, priv := range ProvisioningPrivileges[t.field] {
			checked++
			if !held[t.ref][priv] {
				missing = append(missing, priv)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, domain.FieldError{Field: t.field,
				Message: fmt.Sprintf("user %q lacks %s on %s", user, strings.Join(missing, ", "), t.what)})
		}
	}
	return user, checked, problems, nil
}

// checkClusterPrivileges asks vCenter which ClusterPrivileges and
// ForbiddenClusterPrivileges the session's user (a cluster account) holds on targets,
// and returns the user, the number of pairs checked, and a problem per target that
// lacks a needed privilege (named by the target's field) or holds a forbidden one
// (named "vcenter": the registration's account must change).
func checkClusterPrivileges(ctx context.Context, c *vim25.Client, targets []privilegeTarget) (string, int, []domain.FieldError, error) {
	all := slices.Clone(ForbiddenClusterPrivileges)
	for _, t := range targets {
		all = append(all, ClusterPrivileges[t.field]...)
	}
	user, held, noPerm, err := heldPrivileges(ctx, c, targets, all)
	if err != nil {
		return "", 0, nil, err
	}
	if noPerm {
		return user, 0, []domain.FieldError{{Field: "vcenter",
			Message: fmt.Sprintf("cluster account %q may not read its own privileges (it needs System.View on the root folder)", user)}}, nil
	}
	var problems []domain.FieldError
	checked := 0
	for _, t := range targets {
		var missing, extra []string
		for _, priv := range ClusterPrivileges[t.field] {
			checked++
			if !held[t.ref][priv] {
				missing = append(missing, priv)
			}
		}
		if slices.Contains(forbiddenOn, t.field) {
			for _, priv := range ForbiddenClusterPrivileges {
				checked++
				if held[t.ref][priv] {
					extra = append(extra, priv)
				}
			}
		}
		if len(missing) > 0 {
			problems = append(problems, domain.FieldError{Field: t.field,
				Message: fmt.Sprintf("cluster account %q lacks %s on %s (the vSphere CSI driver needs it)", user, strings.Join(missing, ", "), t.what)})
		}
		if len(extra) > 0 {
			problems = append(problems, domain.FieldError{Field: "vcenter",
				Message: fmt.Sprintf("cluster account %q holds VM provisioning privileges %s on %s: clusters must not get them; give it a role without them",
					user, strings.Join(extra, ", "), t.what)})
		}
	}
	return user, checked, problems, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
