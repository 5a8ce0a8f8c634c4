package domain

import "time"

// Cluster phases.
const (
	PhasePending      = "Pending"
	PhaseProvisioning = "Provisioning"
	PhaseReady        = "Ready"
	// PhaseDegraded: a health check found the API server answering but something else
	// wrong (a VM missing or off, a node not Ready, an add-on not deployed, certificates
	// about to expire); phase_reason says what.
	PhaseDegraded = "Degraded"
	// PhaseUnreachable: a health check found the API server not answering.
	PhaseUnreachable = "Unreachable"
	PhaseUpdating    = "Updating"
	PhaseDeleting    = "Deleting"
	PhaseFailed      = "Failed"
	PhaseDeleted     = "Deleted"
)

// ClusterPhases lists every cluster phase.
var ClusterPhases = []string{PhasePending, PhaseProvisioning, PhaseReady, PhaseDegraded, PhaseUnreachable,
	PhaseUpdating, PhaseDeleting, PhaseFailed, PhaseDeleted}

// HealthPhases are the phases a health check moves a cluster between: those of a
// cluster that is not in the middle of an operation.
var HealthPhases = []string{PhaseReady, PhaseDegraded, PhaseUnreachable}

// ClusterSpec is the body of POST /api/v1/clusters (see shared/API.md).
type ClusterSpec struct {
	Name              string       `json:"name"`
	VCenter           string       `json:"vcenter"`
	Placement         Placement    `json:"placement"`
	KubernetesVersion string       `json:"kubernetes_version"`
	ControlPlane      NodeShape    `json:"control_plane"`
	WorkerPools       []WorkerPool `json:"worker_pools"`
	Network           NetworkSpec  `json:"network"`
	Addons            AddonsSpec   `json:"addons"`
}

// Placement says where a cluster's VMs go in vSphere.
type Placement struct {
	Datacenter     string `json:"datacenter"`
	ComputeCluster string `json:"compute_cluster"`
	ResourcePool   string `json:"resource_pool"`
	Folder         string `json:"folder"`
	Datastore      string `json:"datastore"`
	Network        string `json:"network"`
	Template       string `json:"template"`
}

// NodeShape is the size and count of a group of nodes.
type NodeShape struct {
	Replicas  int `json:"replicas"`
	CPUs      int `json:"cpus"`
	MemoryMiB int `json:"memory_mib"`
	DiskGiB   int `json:"disk_gib"`
}

// WorkerPool is a named group of worker nodes of one shape.
type WorkerPool struct {
	Name string `json:"name"`
	NodeShape
}

// NetworkSpec names the node address pool and the cluster's pod and service ranges.
type NetworkSpec struct {
	IPPool      string `json:"ip_pool"`
	PodCIDR     string `json:"pod_cidr"`
	ServiceCIDR string `json:"service_cidr"`
	// ControlPlaneEndpoint is the control-plane virtual IP that kube-vip serves on
	// the control planes (an address of the pool's network); empty: one is leased
	// from the pool.
	ControlPlaneEndpoint string `json:"control_plane_endpoint,omitempty"`
}

// VIPLeaseOwner is the owner of the IP lease that holds a cluster's control-plane
// virtual IP (node leases are owned by node names, which never end in "-vip").
func VIPLeaseOwner(cluster string) string { return cluster + "-vip" }

// VIPLeases is the number of pool addresses a spec's control-plane virtual IP takes:
// one, unless the spec gives its own address.
func VIPLeases(spec ClusterSpec) int {
	if spec.Network.ControlPlaneEndpoint != "" {
		return 0
	}
	return 1
}

// AddonsSpec chooses and configures the platform add-ons.
type AddonsSpec struct {
	Antrea     *AntreaSpec     `json:"antrea,omitempty"`
	VSphereCPI *struct{}       `json:"vsphere_cpi,omitempty"`
	VSphereCSI *CSISpec        `json:"vsphere_csi,omitempty"`
	KubeSphere *KubeSphereSpec `json:"kubesphere,omitempty"`
}

// AntreaSpec configures the Antrea CNI.
type AntreaSpec struct {
	Multicluster      bool   `json:"multicluster"`
	TrafficEncryption string `json:"traffic_encryption,omitempty"` // none, ipsec, wireguard
}

// CSISpec configures the vSphere CSI driver and its default StorageClass.
type CSISpec struct {
	StoragePolicy string `json:"storage_policy,omitempty"`
	DefaultClass  *bool  `json:"default_class,omitempty"`
}

// KubeSphereSpec configures KubeSphere core.
type KubeSphereSpec struct {
	Enabled bool   `json:"enabled"`
	Role    string `json:"role,omitempty"` // host or member
	// Host names the KubeSphere host cluster that a member registers with; required
	// when Role is member, and only then.
	Host string `json:"host,omitempty"`
}

// KubeSphereHost returns the name of the KubeSphere host the spec's cluster is
// provisioned as a member of, or "" when it is none.
func (s ClusterSpec) KubeSphereHost() string {
	if ks := s.Addons.KubeSphere; ks != nil && ks.Enabled && ks.Role == KubeSphereMember {
		return ks.Host
	}
	return ""
}

// KubeSphere multi-cluster roles.
const (
	KubeSphereHost   = "host"
	KubeSphereMember = "member"
)

// Cluster is a cluster as the inventory records it and the API returns it.
type Cluster struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Project is the name of the project the cluster belongs to.
	Project              string      `json:"project"`
	VCenter              string      `json:"vcenter"`
	VCenterID            string      `json:"-"` // the vCenter's inventory id, for activities
	Spec                 ClusterSpec `json:"spec"`
	Phase                string      `json:"phase"`
	PhaseReason          string      `json:"phase_reason,omitempty"`
	ControlPlaneEndpoint string      `json:"control_plane_endpoint,omitempty"`
	Nodes                []Node      `json:"nodes"`
	Addons               []Addon     `json:"addons"`
	CertificateExpiry    *time.Time  `json:"certificate_expiry,omitempty"`
	// Operation is the operation the cluster is busy with, if any, and what it waits for.
	Operation *ActiveOperation `json:"operation,omitempty"`
	// ClusterSet is the Antrea Multi-cluster ClusterSet the cluster is in, if any.
	ClusterSet *ClusterSetRef `json:"clusterset,omitempty"`
	CreatedBy  string         `json:"created_by,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ActiveOperation is the operation a cluster is busy with: when it is AwaitingDecision,
// Decision says on which step and why.
type ActiveOperation struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	Decision *Decision `json:"decision,omitempty"`
}

// Node is one Kubernetes node of a cluster and the VM behind it.
type Node struct {
	Name           string `json:"name"`
	Role           string `json:"role"` // control-plane or worker
	Pool           string `json:"pool,omitempty"`
	IP             string `json:"ip,omitempty"`
	VM             string `json:"vm,omitempty"` // VM managed object reference
	KubeletVersion string `json:"kubelet_version,omitempty"`
	Ready          bool   `json:"ready"`
}

// Addon is the state of one installed add-on.
type Addon struct {
	Name         string `json:"name"`
	ChartVersion string `json:"chart_version"`
	Status       string `json:"status"`
}
