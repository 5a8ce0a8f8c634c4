package vsphere

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/clusterwright/clusterwright/domain"
)

// Classes of placement errors; *PlacementError wraps one of them.
var (
	// ErrPlacementNotFound: an object named by the placement does not exist.
	ErrPlacementNotFound = errors.New("placement object not found")
	// ErrPlacementInvalid: an object named by the placement is missing from
	// the request, ambiguous or of the wrong kind.
	ErrPlacementInvalid = errors.New("placement invalid")
)

// PlacementError says which placement field could not be resolved.
type PlacementError struct {
	// Field is the JSON path of the field, e.g. "placement.datastore".
	Field string
	// Name is the value of the field.
	Name string
	// Problem says what is wrong, e.g. "not found" or "is not a template".
	Problem string
	// NotFound is true when the object does not exist.
	NotFound bool
}

func (e *PlacementError) Error() string {
	if e.Name == "" {
		return e.Field + " " + e.Problem
	}
	return fmt.Sprintf("%s: %q %s", e.Field, e.Name, e.Problem)
}

// Unwrap returns ErrPlacementNotFound or ErrPlacementInvalid.
func (e *PlacementError) Unwrap() error {
	if e.NotFound {
		return ErrPlacementNotFound
	}
	return ErrPlacementInvalid
}

// Placement is a domain.Placement resolved to vSphere objects.
type Placement struct {
	Datacenter     *object.Datacenter
	ComputeCluster *object.ClusterComputeResource
	// ResourcePool is the compute cluster's root pool, or the named pool.
	ResourcePool *object.ResourcePool
	// Folder is the datacenter's VM folder, or the named folder.
	Folder    *object.Folder
	Datastore *object.Datastore
	// Network is a standard network, a distributed port group or an opaque network.
	Network  object.NetworkReference
	Template *object.VirtualMachine

	// template holds the template's properties read by ResolvePlacement
	// (templatePlacementProps).
	template mo.VirtualMachine
}

// templatePlacementProps are read from the template: whether it is one, its hardware,
// and its current snapshot for linked clones.
var templatePlacementProps = []string{"name", "config.template", "config.version", "config.hardware", "config.extraConfig", "snapshot"}

// ResolvePlacement finds the objects of p with govmomi's finder, one lookup
// per kind. Names are those of the inventory: a bare name is searched below
// the datacenter; a relative path of a resource pool is taken below the
// compute cluster's root pool ("team-a/dev"), and of a folder below the
// datacenter's VM folder; a path starting with "/" is a full inventory path.
//
// A missing, ambiguous or wrong object yields a *PlacementError naming the
// field; other failures (vCenter unreachable) are returned as they are.
// Datastore clusters and standalone hosts are not placement targets.
func ResolvePlacement(ctx context.Context, c *vim25.Client, p domain.Placement) (*Placement, error) {
	required := []struct{ field, value string }{
		{"placement.datacenter", p.Datacenter}, {"placement.compute_cluster", p.ComputeCluster},
		{"placement.datastore", p.Datastore}, {"placement.network", p.Network}, {"placement.template", p.Template},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return nil, &PlacementError{Field: r.field, Problem: "is required"}
		}
	}

	var out Placement
	var err error
	finder := find.NewFinder(c)
	if out.Datacenter, err = finder.Datacenter(ctx, p.Datacenter); err != nil {
		return nil, placementError("placement.datacenter", p.Datacenter, err)
	}
	finder.SetDatacenter(out.Datacenter)

	if out.ComputeCluster, err = finder.ClusterComputeResource(ctx, p.ComputeCluster); err != nil {
		return nil, placementError("placement.compute_cluster", p.ComputeCluster, err)
	}
	if out.ResourcePool, err = resolvePool(ctx, finder, out.ComputeCluster, p.ResourcePool); err != nil {
		return nil, err
	}
	if out.Folder, err = resolveFolder(ctx, finder, out.Datacenter, p.Folder); err != nil {
		return nil, err
	}
	if out.Datastore, err = finder.Datastore(ctx, p.Datastore); err != nil {
		return nil, placementError("placement.datastore", p.Datastore, err)
	}
	if out.Network, err = finder.Network(ctx, p.Network); err != nil {
		return nil, placementError("placement.network", p.Network, err)
	}
	if out.Template, err = finder.VirtualMachine(ctx, p.Template); err != nil {
		return nil, placementError("placement.template", p.Template, err)
	}
	pc := property.DefaultCollector(c)
	if err := pc.RetrieveOne(ctx, out.Template.Reference(), templatePlacementProps, &out.template); err != nil {
		return nil, fmt.Errorf("read template %q: %w", p.Template, err)
	}
	if out.template.Config == nil || !out.template.Config.Template {
		return nil, &PlacementError{Field: "placement.template", Name: p.Template, Problem: "is a virtual machine, not a template"}
	}
	return &out, nil
}

// resolvePool returns the root pool of cluster, or the pool named name in it.
func resolvePool(ctx context.Context, finder *find.Finder, cluster *object.ClusterComputeResource, name string) (*object.ResourcePool, error) {
	if name == "" {
		pool, err := cluster.ResourcePool(ctx)
		if err != nil {
			return nil, fmt.Errorf("root resource pool of %s: %w", cluster.InventoryPath, err)
		}
		pool.InventoryPath = path.Join(cluster.InventoryPath, "Resources")
		return pool, nil
	}
	root := path.Join(cluster.InventoryPath, "Resources")
	p := name
	if !strings.HasPrefix(name, "/") {
		p = path.Join(root, name)
	} else if !strings.HasPrefix(path.Clean(name)+"/", root+"/") {
		return nil, &PlacementError{Field: "placement.resource_pool", Name: name, Problem: "is not in compute cluster " + cluster.InventoryPath}
	}
	pool, err := finder.ResourcePool(ctx, p)
	if err != nil {
		return nil, placementError("placement.resource_pool", name, err)
	}
	return pool, nil
}

// resolveFolder returns the VM folder of dc, or the folder named name.
func resolveFolder(ctx context.Context, finder *find.Finder, dc *object.Datacenter, name string) (*object.Folder, error) {
	if name == "" {
		folders, err := dc.Folders(ctx)
		if err != nil {
			return nil, fmt.Errorf("folders of %s: %w", dc.InventoryPath, err)
		}
		return folders.VmFolder, nil
	}
	p := name
	if !strings.HasPrefix(name, "/") {
		p = path.Join(dc.InventoryPath, "vm", name)
	}
	folder, err := finder.Folder(ctx, p)
	if err != nil {
		return nil, placementError("placement.folder", name, err)
	}
	return folder, nil
}

// placementError turns a finder error about field into a *PlacementError,
// or returns it wrapped when it is not about the object (e.g. a network error).
func placementError(field, name string, err error) error {
	var notFound *find.NotFoundError
	var multiple *find.MultipleFoundError
	switch {
	case errors.As(err, &notFound):
		return &PlacementError{Field: field, Name: name, Problem: "not found", NotFound: true}
	case errors.As(err, &multiple):
		return &PlacementError{Field: field, Name: name, Problem: "matches more than one object; give its inventory path"}
	}
	return fmt.Errorf("find %s %q: %w", field, name, err)
}
