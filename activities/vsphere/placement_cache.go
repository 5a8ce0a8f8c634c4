package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// This file is the placement part of LookupCache. It remembers resolved
// placements for a while, so that the VMs of a cluster, and of every cluster
// on one vCenter, do not each look up the same datacenter, compute cluster,
// pool, folder, datastore, network and template with the finder (some 17
// round trips, the template's search growing with the number of VMs).

// placementKey identifies a resolution: a placement on one client.
type placementKey struct {
	client    *vim25.Client
	placement domain.Placement
}

// placementEntry is a resolution and what its check compares.
type placementEntry struct {
	pl      Placement
	backing types.BaseVirtualDeviceBackingInfo
	names   map[types.ManagedObjectReference]string
	expires time.Time
}

// Placement returns the placement p resolved on c, with the NIC backing of
// its network. Errors are those of ResolvePlacement; the returned Placement
// is the caller's own.
//
// A remembered placement is checked on every use with one property
// collector call, which also reads the template's properties afresh: every
// object must still exist and bear the name it had when it was resolved,
// and the template must still be a template. Otherwise, and after the TTL,
// the placement is resolved again with ResolvePlacement; concurrent calls
// that miss share one resolution. What a check cannot see until the TTL has
// passed is an object moved to another folder under its name, or a second
// object of a name becoming ambiguous.
func (lc *LookupCache) Placement(ctx context.Context, c *vim25.Client, p domain.Placement) (*Placement, types.BaseVirtualDeviceBackingInfo, error) {
	key := placementKey{client: c, placement: p}
	if e := lc.placementEntry(key); e != nil {
		pl, ok, err := e.check(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return pl, e.backing, nil
		}
		lc.forgetPlacement(key, e)
	}

	// One resolution for every caller that misses at once; it outlives the
	// first caller's context, bounded by loginTimeout, as the others need it.
	ch := lc.resolving.DoChan(fmt.Sprintf("%p %+v", c, p), func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loginTimeout)
		defer cancel()
		return lc.resolve(rctx, key)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, nil, res.Err
		}
		e := res.Val.(*placementEntry)
		pl := e.pl // the caller's own copy; its template properties are fresh
		return &pl, e.backing, nil
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("resolve placement: %w", ctx.Err())
	}
}

// resolve resolves key's placement, reads the names its checks compare and
// remembers it.
func (lc *LookupCache) resolve(ctx context.Context, key placementKey) (*placementEntry, error) {
	pl, backing, err := resolveWithBacking(ctx, key.client, key.placement)
	if err != nil {
		return nil, err
	}
	names, err := objectNames(ctx, key.client, pl.objects())
	if err != nil {
		return nil, fmt.Errorf("read names of placement objects: %w", err)
	}
	e := &placementEntry{pl: *pl, backing: backing, names: names, expires: time.Now().Add(lc.ttl())}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.dropExpired()
	if lc.placements == nil {
		lc.placements = make(map[placementKey]*placementEntry)
	}
	lc.placements[key] = e
	return e, nil
}

// resolveWithBacking resolves p and the NIC backing of its network.
func resolveWithBacking(ctx context.Context, c *vim25.Client, p domain.Placement) (*Placement, types.BaseVirtualDeviceBackingInfo, error) {
	pl, err := ResolvePlacement(ctx, c, p)
	if err != nil {
		return nil, nil, err
	}
	backing, err := pl.Network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("backing of network %s: %w", pl.Network.GetInventoryPath(), err)
	}
	return pl, backing, nil
}

// placementEntry returns the unexpired entry of key, or nil.
func (lc *LookupCache) placementEntry(key placementKey) *placementEntry {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	e := lc.placements[key]
	if e == nil || time.Now().After(e.expires) {
		return nil
	}
	return e
}

// forgetPlacement drops e unless another call has replaced it already.
func (lc *LookupCache) forgetPlacement(key placementKey, e *placementEntry) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.placements[key] == e {
		delete(lc.placements, key)
	}
}

// objects returns the placement's objects, the template last.
func (pl *Placement) objects() []types.ManagedObjectReference {
	return []types.ManagedObjectReference{
		pl.Datacenter.Reference(), pl.ComputeCluster.Reference(), pl.ResourcePool.Reference(),
		pl.Folder.Reference(), pl.Datastore.Reference(), pl.Network.Reference(), pl.Template.Reference(),
	}
}

// check reads the names of e's objects and the template's properties in one
// call. ok is false when an object is gone or renamed, or the template is no
// longer one; the caller then resolves again.
func (e *placementEntry) check(ctx context.Context, c *vim25.Client) (pl *Placement, ok bool, err error) {
	contents, err := retrieveObjects(ctx, c, e.pl.objects(), templatePlacementProps)
	switch {
	case isFault(err, &types.ManagedObjectNotFound{}):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("check placement objects: %w", err)
	}
	tmplRef := e.pl.Template.Reference()
	seen := 0
	out := e.pl // a copy: the template's properties are this call's own
	out.template = mo.VirtualMachine{}
	for _, oc := range contents {
		name, _ := propertyValue(oc, "name").(string)
		if want, known := e.names[oc.Obj]; !known || name != want {
			return nil, false, nil
		}
		seen++
		if oc.Obj == tmplRef {
			if err := mo.LoadObjectContent([]types.ObjectContent{oc}, &out.template); err != nil {
				return nil, false, fmt.Errorf("read template %s: %w", name, err)
			}
		}
	}
	if seen != len(e.names) || out.template.Config == nil || !out.template.Config.Template {
		return nil, false, nil
	}
	return &out, true, nil
}

// objectNames reads the names of refs in one call.
func objectNames(ctx context.Context, c *vim25.Client, refs []types.ManagedObjectReference) (map[types.ManagedObjectReference]string, error) {
	contents, err := retrieveObjects(ctx, c, refs, nil)
	if err != nil {
		return nil, err
	}
	names := make(map[types.ManagedObjectReference]string, len(contents))
	for _, oc := range contents {
		names[oc.Obj], _ = propertyValue(oc, "name").(string)
	}
	return names, nil
}

// retrieveObjects reads with one property collector call the name of each
// of refs, and vmProps (which include the name) of those that are virtual
// machines.
func retrieveObjects(ctx context.Context, c *vim25.Client, refs []types.ManagedObjectReference, vmProps []string) ([]types.ObjectContent, error) {
	var objects []types.ObjectSpec
	var props []types.PropertySpec
	kinds := map[string]bool{}
	for _, ref := range refs {
		objects = append(objects, types.ObjectSpec{Obj: ref})
		if kinds[ref.Type] {
			continue
		}
		kinds[ref.Type] = true
		paths := []string{"name"}
		if ref.Type == "VirtualMachine" && len(vmProps) > 0 {
			paths = vmProps
		}
		props = append(props, types.PropertySpec{Type: ref.Type, PathSet: paths})
	}
	res, err := property.DefaultCollector(c).RetrieveProperties(ctx, types.RetrieveProperties{
		SpecSet: []types.PropertyFilterSpec{{ObjectSet: objects, PropSet: props}},
	})
	if err != nil {
		return nil, err
	}
	return res.Returnval, nil
}

// propertyValue returns the value of the property name in oc, or nil.
func propertyValue(oc types.ObjectContent, name string) any {
	for _, p := range oc.PropSet {
		if p.Name == name {
			return p.Val
		}
	}
	return nil
}
