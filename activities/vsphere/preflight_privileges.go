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

// RequiredPrivileges are the vCenter privileges the registered user needs, by the
// placement field of the entity they are needed on ("vcenter" is the root folder).
// They are those of a clone-provisioning tool plus those the vSphere CSI driver's
// documented roles need (CNS-DATASTORE, CNS-VM, CNS-SEARCH-AND-SPBM), since the
// cluster's CSI driver and cloud provider use the same vCenter account. The cloud
// provider needs read-only access only, which every role includes.
//
// The node VMs do not exist yet, so the privileges needed on them are checked on the
// folder they are created in, from which they inherit their permissions.
var RequiredPrivileges = map[string][]string{
	"vcenter": {
		"Cns.Searchable",      // CSI: CNS-SEARCH-AND-SPBM
		"StorageProfile.View", // CSI: storage policies of the StorageClass
	},
	"placement.template": {
		"VirtualMachine.Provisioning.Clone",
		"VirtualMachine.Provisioning.DeployTemplate",
	},
	"placement.folder": {
		"VirtualMachine.Inventory.CreateFromExisting",
		"VirtualMachine.Inventory.Delete",
		"VirtualMachine.Config.AddNewDisk",
		"VirtualMachine.Config.AddExistingDisk", // CSI: CNS-VM
		"VirtualMachine.Config.AddRemoveDevice", // ParaVirtual SCSI controller, NIC; CSI: CNS-VM
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
		"Datastore.FileManagement", // CSI: CNS-DATASTORE
	},
	"placement.network": {
		"Network.Assign",
	},
}

// checkPrivileges asks vCenter, in one call, which RequiredPrivileges the session's user
// holds on the resolved placement entities, and returns the user, the number of
// (entity, privilege) pairs checked, and a problem per entity lacking any. Entities
// that were not found are not checked.
func checkPrivileges(ctx context.Context, c *vim25.Client, pl *livePlacement, p domain.Placement) (string, int, []domain.FieldError, error) {
	us, err := session.NewManager(c).UserSession(ctx)
	if err != nil {
		return "", 0, nil, fmt.Errorf("read the current session: %w", err)
	}
	if us == nil {
		return "", 0, nil, fmt.Errorf("read the current session: %w", ErrBadCredentials)
	}
	type target struct {
		field, what string
		ref         types.ManagedObjectReference
	}
	var targets []target
	add := func(field, what string, ref types.ManagedObjectReference, ok bool) {
		if ok {
			targets = append(targets, target{field, what, ref})
		}
	}
	add("vcenter", "the vCenter root folder", c.ServiceContent.RootFolder, true)
	if pl.template != nil {
		add("placement.template", fmt.Sprintf("template %q", p.Template), pl.template.Reference(), true)
	}
	if pl.folder != nil {
		add("placement.folder", fmt.Sprintf("VM folder %q", orDefault(p.Folder, pl.folder.InventoryPath)), pl.folder.Reference(), true)
	}
	if pl.pool != nil {
		add("placement.resource_pool", fmt.Sprintf("resource pool %q", orDefault(p.ResourcePool, pl.pool.InventoryPath)), pl.pool.Reference(), true)
	}
	if pl.datastore != nil {
		add("placement.datastore", fmt.Sprintf("datastore %q", p.Datastore), pl.datastore.Reference(), true)
	}
	if pl.network != nil {
		add("placement.network", fmt.Sprintf("network %q", p.Network), pl.network.Reference(), true)
	}

	var all []string
	entities := make([]types.ManagedObjectReference, len(targets))
	for i, t := range targets {
		entities[i] = t.ref
		all = append(all, RequiredPrivileges[t.field]...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	res, err := methods.HasPrivilegeOnEntities(ctx, c, &types.HasPrivilegeOnEntities{
		This: *c.ServiceContent.AuthorizationManager, Entity: entities, SessionId: us.Key, PrivId: all,
	})
	if isFault(err, &types.NoPermission{}) {
		return us.UserName, 0, []domain.FieldError{{Field: "vcenter",
			Message: fmt.Sprintf("user %q may not read its own privileges (it needs System.View on the root folder)", us.UserName)}}, nil
	}
	if err != nil {
		return "", 0, nil, fmt.Errorf("check privileges of %q: %w", us.UserName, err)
	}
	granted := map[types.ManagedObjectReference]map[string]bool{}
	for _, ep := range res.Returnval {
		g := map[string]bool{}
		for _, pa := range ep.PrivAvailability {
			g[pa.PrivId] = pa.IsGranted
		}
		granted[ep.Entity] = g
	}
	var problems []domain.FieldError
	checked := 0
	for _, t := range targets {
		var missing []string
		for _, priv := range RequiredPrivileges[t.field] {
			checked++
			if !granted[t.ref][priv] {
				missing = append(missing, priv)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, domain.FieldError{Field: t.field,
				Message: fmt.Sprintf("user %q lacks %s on %s", us.UserName, strings.Join(missing, ", "), t.what)})
		}
	}
	return us.UserName, checked, problems, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
