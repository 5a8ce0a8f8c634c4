package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// This file resolves a group of a cluster's VMs and the compute cluster
// they run on, for the activities that place them (vm_apart.go) and the DRS
// rule that keeps them placed (drs_rules.go).

// VMID names a VM of a cluster by name or by managed object id.
type VMID struct {
	// Name is the VM name (domain.VMName).
	Name string `json:"name,omitempty"`
	// Moref, if set, is the VM's managed object id (VMInfo.Moref); it wins
	// over Name and saves looking the VM up.
	Moref string `json:"moref,omitempty"`
}

func (id VMID) String() string { return cmp.Or(id.Moref, id.Name) }

// VMGroup names VMs of one cluster on the compute cluster of its placement:
// the input of EnsureVMsApart. Every VM must carry the cluster's marker.
type VMGroup struct {
	VCenterID string `json:"vcenter_id"`
	ClusterID string `json:"cluster_id"`
	// Placement is the cluster's placement; only its datacenter and compute
	// cluster are used.
	Placement domain.Placement `json:"placement"`
	VMs       []VMID           `json:"vms"`
}

// validate checks the group, which must name at least min VMs.
func (g VMGroup) validate(min int) error {
	var problems []string
	if strings.TrimSpace(g.ClusterID) == "" {
		problems = append(problems, "cluster id is empty")
	}
	if g.Placement.Datacenter == "" || g.Placement.ComputeCluster == "" {
		problems = append(problems, "placement needs a datacenter and a compute cluster")
	}
	if len(g.VMs) < min {
		problems = append(problems, fmt.Sprintf("%d VMs named, at least %d needed", len(g.VMs), min))
	}
	for i, id := range g.VMs {
		if id.Name == "" && id.Moref == "" {
			problems = append(problems, fmt.Sprintf("vms[%d] has neither name nor moref", i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidVMRequest, strings.Join(problems, "; "))
	}
	return nil
}

// findComputeCluster finds the compute cluster of p (its datacenter and
// compute cluster only), with its inventory path. A missing or ambiguous
// one is a *PlacementError.
func findComputeCluster(ctx context.Context, c *vim25.Client, p domain.Placement) (*object.ClusterComputeResource, error) {
	finder := find.NewFinder(c)
	dc, err := finder.Datacenter(ctx, p.Datacenter)
	if err != nil {
		return nil, placementError("placement.datacenter", p.Datacenter, err)
	}
	finder.SetDatacenter(dc)
	cluster, err := finder.ClusterComputeResource(ctx, p.ComputeCluster)
	if err != nil {
		return nil, placementError("placement.compute_cluster", p.ComputeCluster, err)
	}
	return cluster, nil
}

// esxHost is an ESXi host of a compute cluster as the placement of VMs
// sees it.
type esxHost struct {
	ref  types.ManagedObjectReference
	name string
	// unusable says why no VM may be moved there ("" when it may): not
	// connected, or in maintenance mode.
	unusable string
	// vms is the number of VMs registered on the host (its vm property).
	vms        int
	datastores []types.ManagedObjectReference
}

// reaches reports whether the host mounts every datastore of the VM.
func (h esxHost) reaches(vm vmRecord) bool {
	for _, ds := range vm.datastores {
		if !slices.Contains(h.datastores, ds) {
			return false
		}
	}
	return true
}

// hostProps are read of each host of a compute cluster.
var hostProps = []string{"name", "runtime.connectionState", "runtime.inMaintenanceMode", "vm", "datastore"}

// clusterState is what the group activities read of a compute cluster.
type clusterState struct {
	hosts  []esxHost // by name
	config *types.ClusterConfigInfoEx
}

// host returns the host ref, if it belongs to the cluster.
func (s clusterState) host(ref types.ManagedObjectReference) (esxHost, bool) {
	for _, h := range s.hosts {
		if h.ref == ref {
			return h, true
		}
	}
	return esxHost{}, false
}

// readCluster reads the hosts and the configuration (DRS settings and rules)
// of cluster.
func readCluster(ctx context.Context, c *vim25.Client, cluster *object.ClusterComputeResource) (clusterState, error) {
	var cr mo.ClusterComputeResource
	pc := property.DefaultCollector(c)
	if err := pc.RetrieveOne(ctx, cluster.Reference(), []string{"host", "configurationEx"}, &cr); err != nil {
		return clusterState{}, fmt.Errorf("read compute cluster %s: %w", cluster.InventoryPath, err)
	}
	st := clusterState{}
	st.config, _ = cr.ConfigurationEx.(*types.ClusterConfigInfoEx)
	if st.config == nil {
		st.config = &types.ClusterConfigInfoEx{}
	}
	if len(cr.Host) == 0 {
		return st, nil
	}
	var hosts []mo.HostSystem
	if err := pc.Retrieve(ctx, cr.Host, hostProps, &hosts); err != nil {
		return clusterState{}, fmt.Errorf("read hosts of compute cluster %s: %w", cluster.InventoryPath, err)
	}
	for _, h := range hosts {
		eh := esxHost{ref: h.Self, name: h.Name, vms: len(h.Vm), datastores: h.Datastore}
		switch {
		case h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected:
			eh.unusable = "host is " + string(h.Runtime.ConnectionState)
		case h.Runtime.InMaintenanceMode:
			eh.unusable = "host is in maintenance mode"
		}
		st.hosts = append(st.hosts, eh)
	}
	slices.SortFunc(st.hosts, func(a, b esxHost) int { return cmp.Compare(a.name, b.name) })
	return st, nil
}

// groupMembers reads the VMs of g with their hosts and datastores, sorted by
// name (a VM named twice counts once). A VM that does not exist is
// ErrVMNotFound; one that is a template or lacks the cluster's marker is
// ErrVMNotOwned.
func (o *VMOps) groupMembers(ctx context.Context, c *vim25.Client, g VMGroup) ([]vmRecord, error) {
	f, err := o.findMarkerField(ctx, c, false)
	if err != nil {
		return nil, err
	}
	refs, err := groupRefs(ctx, c, g, f)
	if err != nil {
		return nil, err
	}
	objs := make([]types.ObjectSpec, 0, len(refs))
	for _, ref := range refs {
		objs = append(objs, types.ObjectSpec{Obj: ref})
	}
	records, err := retrieveRecordsWith(ctx, c, objs, placementProps)
	if isFault(err, &types.ManagedObjectNotFound{}) {
		return nil, fmt.Errorf("%w: one of %v: %w", ErrVMNotFound, refs, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read VMs %v: %w", refs, err)
	}
	if len(records) != len(refs) {
		return nil, fmt.Errorf("%w: %d of the VMs %v exist", ErrVMNotFound, len(records), refs)
	}
	for _, r := range records {
		if owner := r.owner(f); owner != g.ClusterID || r.template {
			return nil, fmt.Errorf("%w: %s (%s)", ErrVMNotOwned, r.name, ownerDescription(owner))
		}
	}
	slices.SortFunc(records, func(a, b vmRecord) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.ref.Value, b.ref.Value))
	})
	return records, nil
}

// groupRefs returns the references of g's VMs, without duplicates. VMs
// named without a moref are looked up among all VMs in one request: the VM
// of that name marked for the cluster (the first by moref should there be
// several).
func groupRefs(ctx context.Context, c *vim25.Client, g VMGroup, f markerField) ([]types.ManagedObjectReference, error) {
	var byName map[string]types.ManagedObjectReference
	if slices.ContainsFunc(g.VMs, func(id VMID) bool { return id.Moref == "" }) {
		records, err := allRecords(ctx, c)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(records, func(a, b vmRecord) int { return cmp.Compare(a.ref.Value, b.ref.Value) })
		byName = map[string]types.ManagedObjectReference{}
		for _, r := range records {
			if _, seen := byName[r.name]; !seen && !r.template && r.owner(f) == g.ClusterID {
				byName[r.name] = r.ref
			}
		}
	}
	var refs []types.ManagedObjectReference
	for _, id := range g.VMs {
		ref := vmRef(id.Moref)
		if id.Moref == "" {
			var ok bool
			if ref, ok = byName[id.Name]; !ok {
				return nil, fmt.Errorf("%w: no VM %s of cluster %s", ErrVMNotFound, id.Name, g.ClusterID)
			}
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}
