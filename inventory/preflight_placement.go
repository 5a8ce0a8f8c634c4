package inventory

import (
	"fmt"
	"path"
	"strings"

	"github.com/clusterwright/clusterwright/domain"
)

// recordedPlacement is a placement resolved against the recorded inventory.
type recordedPlacement struct {
	template  *domain.InventoryObject
	datastore *domain.InventoryObject
	problems  []domain.FieldError
}

// resolveRecorded finds the objects of placement p among objs (see placementCandidates)
// by the rules of the vSphere activities' ResolvePlacement: a value starting with "/" is
// a full inventory path; a resource pool's relative path is below the compute cluster's
// root pool, a folder's below the datacenter's VM folder; any other value is a name, or
// a path relative to a folder, anywhere in the datacenter. Each field that matches no
// object, or more than one, is a problem. vcenter and syncedAt only go into messages.
func resolveRecorded(objs []domain.InventoryObject, p domain.Placement, vcenter, syncedAt string) recordedPlacement {
	var out recordedPlacement
	problem := func(field, format string, args ...any) {
		out.problems = append(out.problems, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	// one returns the single match of field, or records why there is none.
	one := func(field, what, value string, matches []*domain.InventoryObject, where string) *domain.InventoryObject {
		switch len(matches) {
		case 1:
			return matches[0]
		case 0:
			problem(field, "%s %q not found in %s of vCenter %q (inventory synced %s; sync the vCenter if it was added since)",
				what, value, where, vcenter, syncedAt)
		default:
			problem(field, "%s %q matches %d objects in %s; give its inventory path", what, value, len(matches), where)
		}
		return nil
	}

	dcs := filter(objs, domain.KindDatacenter, func(o *domain.InventoryObject) bool { return matchName(o, p.Datacenter) })
	dc := one("placement.datacenter", "datacenter", p.Datacenter, dcs, "the inventory")
	if dc == nil {
		return out
	}
	where := "datacenter " + dc.Name
	inDC := func(kind, value string) []*domain.InventoryObject {
		return filter(objs, kind, func(o *domain.InventoryObject) bool {
			return strings.HasPrefix(o.Path, dc.Path+"/") && matchName(o, value)
		})
	}

	cluster := one("placement.compute_cluster", "compute cluster", p.ComputeCluster, inDC(domain.KindComputeCluster, p.ComputeCluster), where)
	if cluster != nil && p.ResourcePool != "" {
		root := cluster.Path + "/Resources"
		want := path.Join(root, p.ResourcePool)
		if strings.HasPrefix(p.ResourcePool, "/") {
			want = path.Clean(p.ResourcePool)
		}
		if want != root && !strings.HasPrefix(want, root+"/") {
			problem("placement.resource_pool", "resource pool %q is not in compute cluster %s", p.ResourcePool, cluster.Path)
		} else {
			pools := filter(objs, domain.KindResourcePool, func(o *domain.InventoryObject) bool { return o.Path == want })
			one("placement.resource_pool", "resource pool", p.ResourcePool, pools, "compute cluster "+cluster.Name)
		}
	}
	if p.Folder != "" {
		want := path.Join(dc.Path, "vm", p.Folder)
		if strings.HasPrefix(p.Folder, "/") {
			want = path.Clean(p.Folder)
		}
		folders := filter(objs, domain.KindFolder, func(o *domain.InventoryObject) bool { return o.Path == want })
		one("placement.folder", "VM folder", p.Folder, folders, where)
	}
	out.datastore = one("placement.datastore", "datastore", p.Datastore, inDC(domain.KindDatastore, p.Datastore), where)
	one("placement.network", "network", p.Network, inDC(domain.KindNetwork, p.Network), where)
	// Only templates are recorded: a VM of that name is "not found" here, and named as
	// a VM by the live preflight.
	out.template = one("placement.template", "template", p.Template, inDC(domain.KindTemplate, p.Template), where)
	return out
}

// matchName reports whether value names o: its full path, its name, or a path
// relative to a folder that o's path ends with.
func matchName(o *domain.InventoryObject, value string) bool {
	if strings.HasPrefix(value, "/") {
		return o.Path == path.Clean(value)
	}
	return o.Name == value || strings.HasSuffix(o.Path, "/"+value)
}

// filter returns the objects of kind for which keep is true.
func filter(objs []domain.InventoryObject, kind string, keep func(*domain.InventoryObject) bool) []*domain.InventoryObject {
	var out []*domain.InventoryObject
	for i := range objs {
		if objs[i].Kind == kind && keep(&objs[i]) {
			out = append(out, &objs[i])
		}
	}
	return out
}

// baseName is the last element of an inventory path or the name itself.
func baseName(v string) string {
	if i := strings.LastIndex(strings.TrimSuffix(v, "/"), "/"); i >= 0 {
		return strings.TrimSuffix(v, "/")[i+1:]
	}
	return v
}
