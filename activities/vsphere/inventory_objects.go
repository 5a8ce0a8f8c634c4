package vsphere

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
)

// uplinkTag marks the uplink port group of a distributed switch, which VMs
// cannot be attached to.
const uplinkTag = "SYSTEM/DVS.UPLINKPG"

// maxDepth bounds parent chains, against cycles in a malformed reply.
const maxDepth = 256

const gib = 1 << 30

// node is one retrieved managed object.
type node struct {
	ref    types.ManagedObjectReference
	name   string
	parent types.ManagedObjectReference // zero when the object has none
	props  map[string]types.AnyType
}

// inventory turns retrieved object contents into domain objects. Paths are
// built from the name and parent of the objects retrieved, without further calls.
type inventory struct {
	nodes     map[types.ManagedObjectReference]*node
	order     []*node
	templates map[types.ManagedObjectReference]*domain.TemplateInfo
	paths     map[types.ManagedObjectReference]string
}

func newInventory(contents []types.ObjectContent) *inventory {
	inv := &inventory{
		nodes:     make(map[types.ManagedObjectReference]*node, len(contents)),
		templates: make(map[types.ManagedObjectReference]*domain.TemplateInfo),
		paths:     make(map[types.ManagedObjectReference]string, len(contents)),
	}
	for _, oc := range contents {
		n := &node{ref: oc.Obj, props: make(map[string]types.AnyType, len(oc.PropSet))}
		for _, p := range oc.PropSet {
			n.props[p.Name] = p.Val
		}
		n.name, _ = n.props["name"].(string)
		if parent, ok := as[types.ManagedObjectReference](n.props["parent"]); ok {
			n.parent = parent
		}
		inv.nodes[oc.Obj] = n
		inv.order = append(inv.order, n)
	}
	return inv
}

// templateRefs returns the VMs that are templates.
func (inv *inventory) templateRefs() []types.ManagedObjectReference {
	var refs []types.ManagedObjectReference
	for _, n := range inv.order {
		if n.ref.Type == "VirtualMachine" && n.props["config.template"] == true {
			refs = append(refs, n.ref)
		}
	}
	return refs
}

// addTemplateDetails records the hardware of the templates in contents.
func (inv *inventory) addTemplateDetails(contents []types.ObjectContent) {
	for _, oc := range contents {
		if len(oc.PropSet) == 0 {
			continue // deleted since it was listed
		}
		props := make(map[string]types.AnyType, len(oc.PropSet))
		for _, p := range oc.PropSet {
			props[p.Name] = p.Val
		}
		inv.templates[oc.Obj] = templateInfo(props)
	}
}

func templateInfo(props map[string]types.AnyType) *domain.TemplateInfo {
	t := &domain.TemplateInfo{}
	t.GuestID, _ = props["config.guestId"].(string)
	t.GuestFullName, _ = props["config.guestFullName"].(string)
	if v, ok := props["config.version"].(string); ok {
		t.HardwareVersion = hardwareVersion(v)
	}
	if n, ok := props["config.hardware.numCPU"].(int32); ok {
		t.CPUs = int(n)
	}
	if n, ok := props["config.hardware.memoryMB"].(int32); ok {
		t.MemoryMiB = int(n)
	}
	if devices, ok := as[types.ArrayOfVirtualDevice](props["config.hardware.device"]); ok {
		t.DiskGiB = diskGiB(devices.VirtualDevice)
	}
	if snaps, ok := as[types.ArrayOfManagedObjectReference](props["rootSnapshot"]); ok {
		t.HasSnapshot = len(snaps.ManagedObjectReference) > 0
	}
	return t
}

// hardwareVersion parses "vmx-19" as 19; anything else is 0.
func hardwareVersion(s string) int {
	v, ok := strings.CutPrefix(s, "vmx-")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return n
}

// diskGiB sums the capacity of the virtual disks, rounded up to whole GiB.
func diskGiB(devices []types.BaseVirtualDevice) int {
	var total int64
	for _, d := range devices {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		size := disk.CapacityInBytes
		if size == 0 {
			size = disk.CapacityInKB * 1024
		}
		total += size
	}
	return int((total + gib - 1) / gib)
}

// objects returns the domain objects, sorted by kind (as domain.InventoryKinds)
// and path.
func (inv *inventory) objects() []domain.InventoryObject {
	var out []domain.InventoryObject
	for _, n := range inv.order {
		obj, ok := inv.object(n)
		if !ok {
			continue
		}
		obj.Moref = n.ref.Value
		obj.Name = n.name
		obj.Path = inv.path(n.ref)
		obj.Parent = n.parent.Value
		if obj.Kind != domain.KindDatacenter {
			obj.Datacenter = inv.datacenter(n.ref)
		}
		out = append(out, obj)
	}
	rank := func(kind string) int { return slices.Index(domain.InventoryKinds, kind) }
	slices.SortFunc(out, func(a, b domain.InventoryObject) int {
		if d := rank(a.Kind) - rank(b.Kind); d != 0 {
			return d
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Moref, b.Moref)
	})
	return out
}

// object returns the kind and kind-specific attributes of n, or false when n
// is not recorded in the inventory (e.g. an ordinary VM or a host folder).
func (inv *inventory) object(n *node) (domain.InventoryObject, bool) {
	switch n.ref.Type {
	case "Datacenter":
		return domain.InventoryObject{Kind: domain.KindDatacenter}, true
	case "ClusterComputeResource":
		return domain.InventoryObject{Kind: domain.KindComputeCluster, Compute: clusterCompute(n.props["summary"])}, true
	case "HostSystem":
		return domain.InventoryObject{Kind: domain.KindHost, Compute: hostCompute(n.props["summary.hardware"])}, true
	case "ResourcePool":
		return domain.InventoryObject{Kind: domain.KindResourcePool}, true
	case "Folder":
		children, _ := as[types.ArrayOfString](n.props["childType"])
		if !slices.Contains(children.String, "VirtualMachine") {
			return domain.InventoryObject{}, false
		}
		return domain.InventoryObject{Kind: domain.KindFolder}, true
	case "Datastore":
		return domain.InventoryObject{Kind: domain.KindDatastore, Datastore: datastoreInfo(n.props["summary"])}, true
	case "Network", "OpaqueNetwork", "DistributedVirtualPortgroup":
		if isUplink(n.props["tag"]) {
			return domain.InventoryObject{}, false
		}
		return domain.InventoryObject{Kind: domain.KindNetwork, Network: &domain.NetworkInfo{Type: n.ref.Type}}, true
	case "VirtualMachine":
		t, ok := inv.templates[n.ref]
		if !ok {
			return domain.InventoryObject{}, false
		}
		return domain.InventoryObject{Kind: domain.KindTemplate, Template: t}, true
	}
	return domain.InventoryObject{}, false
}

func clusterCompute(v types.AnyType) *domain.ComputeInfo {
	s, ok := as[types.ClusterComputeResourceSummary](v)
	sum := s.ComputeResourceSummary
	if !ok {
		sum, _ = as[types.ComputeResourceSummary](v)
	}
	return &domain.ComputeInfo{Hosts: int(sum.NumHosts), CPUMhz: int64(sum.TotalCpu), MemoryBytes: sum.TotalMemory}
}

func hostCompute(v types.AnyType) *domain.ComputeInfo {
	hw, _ := as[types.HostHardwareSummary](v)
	return &domain.ComputeInfo{Hosts: 1, CPUMhz: int64(hw.CpuMhz) * int64(hw.NumCpuCores), MemoryBytes: hw.MemorySize}
}

func datastoreInfo(v types.AnyType) *domain.DatastoreInfo {
	s, _ := as[types.DatastoreSummary](v)
	return &domain.DatastoreInfo{Type: s.Type, URL: s.Url, CapacityBytes: s.Capacity, FreeBytes: s.FreeSpace, Accessible: s.Accessible}
}

func isUplink(v types.AnyType) bool {
	tags, _ := as[types.ArrayOfTag](v)
	return slices.ContainsFunc(tags.Tag, func(t types.Tag) bool { return t.Key == uplinkTag })
}

// path returns the inventory path of ref: the names from the root folder down,
// e.g. /DC0/host/DC0_C0/Resources. The root folder is not in the view and not
// in the path. Paths are memoized, so building all of them is linear.
func (inv *inventory) path(ref types.ManagedObjectReference) string {
	return inv.pathAt(ref, 0)
}

func (inv *inventory) pathAt(ref types.ManagedObjectReference, depth int) string {
	if p, ok := inv.paths[ref]; ok {
		return p
	}
	n, ok := inv.nodes[ref]
	if !ok || depth > maxDepth {
		return ""
	}
	p := inv.pathAt(n.parent, depth+1) + "/" + n.name
	inv.paths[ref] = p
	return p
}

// datacenter returns the name of the datacenter that ref is in, or "".
func (inv *inventory) datacenter(ref types.ManagedObjectReference) string {
	cur := ref
	for range maxDepth {
		n, ok := inv.nodes[cur]
		if !ok {
			return ""
		}
		if cur.Type == "Datacenter" {
			return n.name
		}
		cur = n.parent
	}
	return ""
}

// as returns v as a T whether the decoder produced a T or a *T.
func as[T any](v types.AnyType) (T, bool) {
	switch x := v.(type) {
	case T:
		return x, true
	case *T:
		if x != nil {
			return *x, true
		}
	}
	var zero T
	return zero, false
}
