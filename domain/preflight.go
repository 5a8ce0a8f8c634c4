package domain

import (
	"fmt"
	"net/netip"
	"strings"
)

// MinHardwareVersion is the lowest virtual hardware version of a node VM: the vSphere
// CSI driver needs vmx-15 or later.
const MinHardwareVersion = 15

// PreflightFacts is what preflight found out about the target of a cluster spec, either
// from the recorded inventory (inventory.Store.PreflightCluster) or live from vCenter
// (the vSphere Preflight activity). A nil pointer means "not checked": the rule that
// needs it is skipped. Whoever gathers the facts reports what it could not find in
// Problems, naming the field (e.g. "placement.datastore: not found").
type PreflightFacts struct {
	// Problems are the fields whose objects are missing, ambiguous or of the wrong kind.
	Problems []FieldError

	// Template is the template named by placement.template.
	Template *TemplateInfo
	// MaxHardwareVersion is the highest virtual hardware version that the hosts of the
	// compute cluster can upgrade a VM to; 0 means unknown.
	MaxHardwareVersion int

	// Datastore is the datastore named by placement.datastore.
	Datastore *DatastoreInfo

	// IPPool is the pool named by network.ip_pool.
	IPPool *IPPoolFacts

	// KubeSphereHost is the live cluster named by addons.kubesphere.host, when the
	// spec makes a KubeSphere member; Problems names a host that does not exist.
	KubeSphereHost *KubeSphereHostFacts
}

// KubeSphereHostFacts are what preflight knows of the KubeSphere host a member
// registers with: its phase and its own KubeSphere role ("" without KubeSphere).
type KubeSphereHostFacts struct {
	Name  string
	Phase string
	Role  string
}

// IPPoolFacts are the numbers of an IP pool that preflight needs.
type IPPoolFacts struct {
	CIDR string
	Free int64
	// Gateway is the pool's gateway; "" means the first address of CIDR.
	Gateway string
}

// NodeCount is the number of nodes of a spec: the control planes and every worker.
func NodeCount(spec ClusterSpec) int {
	n := spec.ControlPlane.Replicas
	for _, p := range spec.WorkerPools {
		n += p.Replicas
	}
	return n
}

// SurgeNodes is the number of extra nodes a rolling upgrade adds at once: one per pool,
// the control-plane pool and each worker pool.
func SurgeNodes(spec ClusterSpec) int {
	return 1 + len(spec.WorkerPools)
}

// NodeDiskGiB is the disk a node of a pool gets: its requested size, or the template's
// when that is larger (clones never shrink a disk).
func NodeDiskGiB(shape NodeShape, templateDiskGiB int) int {
	return max(shape.DiskGiB, templateDiskGiB)
}

// RequiredDiskGiB is the datastore space the VMs of a spec need, counting every node's
// disk (NodeDiskGiB) and one surge node per pool. Disks are counted fully provisioned
// (thin disks may use less, but they may also grow to this size).
func RequiredDiskGiB(spec ClusterSpec, templateDiskGiB int) int64 {
	total := int64(spec.ControlPlane.Replicas+1) * int64(NodeDiskGiB(spec.ControlPlane, templateDiskGiB))
	for _, p := range spec.WorkerPools {
		total += int64(p.Replicas+1) * int64(NodeDiskGiB(p.NodeShape, templateDiskGiB))
	}
	return total
}

// CheckPreflight applies the rules that need more than the spec itself to a spec that
// passed Validate, and returns a ValidationError naming each bad field, or nil:
//
//   - every problem the fact gatherer reported;
//   - placement.template: a guest OS that runs Kubernetes nodes (a guest id, and not a
//     Windows, macOS, Solaris, BSD or other non-Linux family), and hardware version
//     MinHardwareVersion or later, or upgradable: below it, the template is accepted
//     when the compute cluster's hosts can upgrade VMs to MinHardwareVersion or later,
//     rejected when they cannot, and accepted when that is unknown (the recorded
//     inventory does not know the hosts' versions; the live preflight then decides);
//   - placement.datastore: accessible, with free space for RequiredDiskGiB;
//   - network.ip_pool: free addresses for NodeCount + SurgeNodes; pod and service
//     CIDRs that do not overlap the pool's CIDR.
func CheckPreflight(spec ClusterSpec, facts PreflightFacts) *ValidationError {
	v := &ValidationError{Fields: append([]FieldError(nil), facts.Problems...)}
	if t := facts.Template; t != nil {
		checkTemplate(v, spec.Placement.Template, *t, facts.MaxHardwareVersion)
	}
	if ds := facts.Datastore; ds != nil {
		checkDatastore(v, spec, *ds, facts.Template)
	}
	if pool := facts.IPPool; pool != nil {
		checkIPPool(v, spec, *pool)
	}
	if host := facts.KubeSphereHost; host != nil {
		checkKubeSphereHost(v, *host)
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

const fieldTemplate = "placement.template"

// checkKubeSphereHost checks that a member's KubeSphere host is a Ready KubeSphere host.
func checkKubeSphereHost(v *ValidationError, host KubeSphereHostFacts) {
	const field = "addons.kubesphere.host"
	switch {
	case host.Role != KubeSphereHost:
		v.Add(field, "cluster %s is not a KubeSphere host (its spec must enable KubeSphere with role host)", host.Name)
	case host.Phase != PhaseReady:
		v.Add(field, "KubeSphere host %s is %s, not Ready", host.Name, host.Phase)
	}
}

func checkTemplate(v *ValidationError, name string, t TemplateInfo, maxHardware int) {
	switch {
	case t.GuestID == "":
		v.Add(fieldTemplate, "template %q has no guest OS set; set a Linux guest OS on it", name)
	case !linuxGuest(t.GuestID):
		v.Add(fieldTemplate, "template %q has guest OS %q; Kubernetes nodes need a Linux guest", name, t.GuestID)
	}
	hw := t.HardwareVersion
	switch {
	case hw >= MinHardwareVersion:
	case hw <= 0:
		v.Add(fieldTemplate, "template %q has no readable hardware version; need vmx-%d or later", name, MinHardwareVersion)
	case maxHardware > 0 && maxHardware < MinHardwareVersion:
		v.Add(fieldTemplate, "template %q has hardware version vmx-%d, below vmx-%d, and cannot be upgraded: the hosts of the compute cluster support at most vmx-%d",
			name, hw, MinHardwareVersion, maxHardware)
	}
}

// nonLinuxGuests are the prefixes of vSphere guest ids of operating systems that cannot
// be Kubernetes nodes built by kubeadm and cloud-init.
var nonLinuxGuests = []string{"win", "darwin", "solaris", "freebsd", "netware", "os2", "dos", "sco", "unixware", "openserver", "ecomstation", "vmkernel"}

func linuxGuest(id string) bool {
	id = strings.ToLower(id)
	for _, p := range nonLinuxGuests {
		if strings.HasPrefix(id, p) {
			return false
		}
	}
	return true
}

const gib = 1 << 30

func checkDatastore(v *ValidationError, spec ClusterSpec, ds DatastoreInfo, t *TemplateInfo) {
	const field = "placement.datastore"
	if !ds.Accessible {
		v.Add(field, "datastore %q is not accessible", spec.Placement.Datastore)
		return
	}
	templateDisk := 0
	if t != nil {
		templateDisk = t.DiskGiB
	}
	need := RequiredDiskGiB(spec, templateDisk)
	if ds.FreeBytes < need*gib {
		v.Add(field, "datastore %q has %s free; the cluster needs %d GiB (%d nodes and %d upgrade surge nodes)",
			spec.Placement.Datastore, formatGiB(ds.FreeBytes), need, NodeCount(spec), SurgeNodes(spec))
	}
}

func checkIPPool(v *ValidationError, spec ClusterSpec, pool IPPoolFacts) {
	need := int64(NodeCount(spec) + SurgeNodes(spec) + VIPLeases(spec))
	if pool.Free < need {
		v.Add("network.ip_pool", "ip pool %q has %d free addresses; the cluster needs %d (%d nodes, %d upgrade surge nodes and %d control-plane virtual IP)",
			spec.Network.IPPool, pool.Free, need, NodeCount(spec), SurgeNodes(spec), VIPLeases(spec))
	}
	if pool.CIDR != "" {
		spec.Network.CheckNodeCIDR(v, pool.CIDR)
		checkVIPInPool(v, spec, pool)
	}
}

// checkVIPInPool checks that a given control-plane virtual IP is a host address of the
// pool's network, where the control planes can announce it, and not its gateway.
func checkVIPInPool(v *ValidationError, spec ClusterSpec, pool IPPoolFacts) {
	const field = "network.control_plane_endpoint"
	vip, err := netip.ParseAddr(spec.Network.ControlPlaneEndpoint)
	if err != nil {
		return // none given, or reported by Validate
	}
	prefix, err := netip.ParsePrefix(pool.CIDR)
	if err != nil {
		return
	}
	prefix = prefix.Masked()
	gateway := prefix.Addr().Next()
	if g, err := netip.ParseAddr(pool.Gateway); err == nil {
		gateway = g
	}
	switch {
	case !prefix.Contains(vip):
		v.Add(field, "%s is outside the network %s of ip pool %s", vip, prefix, spec.Network.IPPool)
	case vip == prefix.Addr():
		v.Add(field, "%s is the network address of %s", vip, prefix)
	case vip.Is4() && prefix.Bits() < 31 && vip == lastAddr(prefix):
		v.Add(field, "%s is the broadcast address of %s", vip, prefix)
	case vip == gateway:
		v.Add(field, "%s is the gateway of ip pool %s", vip, spec.Network.IPPool)
	}
}

// lastAddr is the last address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// formatGiB prints a byte count in GiB with one decimal.
func formatGiB(b int64) string {
	return fmt.Sprintf("%.1f GiB", float64(b)/gib)
}
