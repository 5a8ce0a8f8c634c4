package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// viewTypes are the managed object types the inventory view holds. Subtypes
// are included: ClusterComputeResource, StoragePod, VirtualApp,
// DistributedVirtualPortgroup and OpaqueNetwork. Folders, standalone compute
// resources and ordinary VMs are needed to build paths and find templates.
var viewTypes = []string{
	"Datacenter", "Folder", "ComputeResource", "HostSystem", "ResourcePool",
	"Datastore", "Network", "VirtualMachine",
}

// entityProps are the properties read for every object of the view, in one
// request. ManagedEntity applies to every type.
var entityProps = []types.PropertySpec{
	{Type: "ManagedEntity", PathSet: []string{"name", "parent"}},
	{Type: "Folder", PathSet: []string{"childType"}},
	{Type: "ComputeResource", PathSet: []string{"summary"}},
	{Type: "HostSystem", PathSet: []string{"summary.hardware"}},
	{Type: "Datastore", PathSet: []string{"summary"}},
	{Type: "DistributedVirtualPortgroup", PathSet: []string{"tag"}},
	{Type: "VirtualMachine", PathSet: []string{"config.template"}},
}

// templateProps are read, in a second request, for the templates only: the
// device list is too big to fetch for every VM of a vCenter.
var templateProps = []string{
	"config.guestId", "config.guestFullName", "config.version",
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
	"rootSnapshot",
}

// CollectInventory reads the objects Clusterwright places clusters on:
// datacenters, compute clusters, hosts, resource pools, VM folders,
// datastores, networks and templates, each with its inventory path.
//
// It costs a fixed number of round trips whatever the size of the inventory:
// create a container view, retrieve the properties of everything in it,
// retrieve the details of the templates, destroy the view. (vCenter may page a
// very large result; the pages are fetched with ContinueRetrievePropertiesEx.)
func CollectInventory(ctx context.Context, c *vim25.Client) ([]domain.InventoryObject, error) {
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, viewTypes, true)
	if err != nil {
		return nil, fmt.Errorf("create inventory view: %w", err)
	}
	defer destroyView(ctx, v)

	pc := property.DefaultCollector(c)
	res, err := pc.RetrieveProperties(ctx, types.RetrieveProperties{
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{
				Obj:       v.Reference(),
				Skip:      types.NewBool(true),
				SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}},
			}},
			PropSet: entityProps,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("retrieve inventory: %w", err)
	}
	inv := newInventory(res.Returnval)

	if refs := inv.templateRefs(); len(refs) > 0 {
		details, err := retrieveTemplates(ctx, pc, refs)
		if err != nil {
			return nil, err
		}
		inv.addTemplateDetails(details)
	}
	return inv.objects(), nil
}

// retrieveTemplates reads templateProps of refs in one request. Templates
// deleted since the first request are left out rather than failing the call.
func retrieveTemplates(ctx context.Context, pc *property.Collector, refs []types.ManagedObjectReference) ([]types.ObjectContent, error) {
	objs := make([]types.ObjectSpec, len(refs))
	for i, ref := range refs {
		objs[i] = types.ObjectSpec{Obj: ref}
	}
	res, err := pc.RetrieveProperties(ctx, types.RetrieveProperties{
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet:                     objs,
			PropSet:                       []types.PropertySpec{{Type: "VirtualMachine", PathSet: templateProps}},
			ReportMissingObjectsInResults: types.NewBool(true),
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("retrieve templates: %w", err)
	}
	return res.Returnval, nil
}

// destroyView removes the view from the session, even when ctx is done.
// A view left behind goes away with the session, so failures are ignored.
func destroyView(ctx context.Context, v *view.ContainerView) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = v.Destroy(ctx)
}
