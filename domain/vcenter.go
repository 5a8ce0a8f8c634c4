package domain

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// VCenterInput is the body of POST /api/v1/vcenters. Password is a secret: it is sealed
// before it is stored and never returned, logged or placed in a workflow input.
type VCenterInput struct {
	Name       string `json:"name"`
	Server     string `json:"server"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	Insecure   bool   `json:"insecure"`
	Thumbprint string `json:"thumbprint"`
	// ClusterCredentials is the least-privileged account that clusters' vSphere CPI and
	// CSI drivers get (see ClusterAccountInput); nil when clusters share the service's.
	ClusterCredentials *ClusterAccountInput `json:"cluster_credentials,omitempty"`
	// ShareServiceAccountWithClusters lets clusters receive the service's own account
	// when there is no ClusterCredentials. Without either, clusters cannot be
	// provisioned on the vCenter.
	ShareServiceAccountWithClusters bool `json:"share_service_account_with_clusters"`
}

// VCenter is a registered vCenter as stored and as the API returns it (no password).
type VCenter struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Server     string     `json:"server"` // normalized SDK URL, e.g. https://vc.example.com/sdk
	Username   string     `json:"username"`
	Insecure   bool       `json:"insecure"`
	Thumbprint string     `json:"thumbprint,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	SyncedAt   *time.Time `json:"synced_at,omitempty"`
	SyncError  string     `json:"sync_error,omitempty"`
	// ClusterCredentials names the clusters' account (never its password); nil when
	// there is none.
	ClusterCredentials *ClusterAccount `json:"cluster_credentials,omitempty"`
	// ShareServiceAccountWithClusters: clusters receive the service's own account.
	ShareServiceAccountWithClusters bool `json:"share_service_account_with_clusters"`
	// Warnings say what is unsafe or unusable about the registration (see
	// VCenterWarnings); empty when nothing is.
	Warnings []string `json:"warnings,omitempty"`
}

var thumbprintRE = regexp.MustCompile(`^([0-9A-Fa-f]{2}:){19,31}[0-9A-Fa-f]{2}$`)

// Validate checks every field, normalizes Server to an SDK URL and returns a
// *ValidationError naming each bad field.
func (in *VCenterInput) Validate() error {
	var v ValidationError
	checkName(&v, "name", in.Name)
	if in.Server == "" {
		v.Add("server", "is required")
	} else if u, err := NormalizeServer(in.Server); err != nil {
		v.Add("server", "%s", err.Error())
	} else {
		in.Server = u
	}
	if strings.TrimSpace(in.Username) == "" {
		v.Add("username", "is required")
	}
	if in.Password == "" {
		v.Add("password", "is required")
	}
	if in.Thumbprint != "" && !thumbprintRE.MatchString(in.Thumbprint) {
		v.Add("thumbprint", "must be a SHA-1 or SHA-256 fingerprint as colon-separated hex pairs")
	}
	if in.ClusterCredentials != nil {
		in.ClusterCredentials.validate(&v, in.Username)
		if in.ShareServiceAccountWithClusters {
			v.Add("share_service_account_with_clusters", "must be false when cluster_credentials is given: clusters get the cluster account")
		}
	}
	return v.Err()
}

type serverError string

func (e serverError) Error() string { return string(e) }

// NormalizeServer turns a host, host:port or URL into the vSphere SDK URL
// ("https://host[:port]/sdk"). Only https is accepted.
func NormalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", serverError("must be a host, host:port or https URL")
	}
	if u.Scheme != "https" {
		return "", serverError("must use https")
	}
	if u.User != nil {
		return "", serverError("must not carry credentials; use username and password")
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(host, " /") {
		return "", serverError("has no valid host")
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return "", serverError("has an invalid port")
		}
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// Inventory object kinds recorded by the inventory sync.
const (
	KindDatacenter     = "datacenter"
	KindComputeCluster = "compute_cluster"
	KindHost           = "host"
	KindResourcePool   = "resource_pool"
	KindFolder         = "folder"
	KindDatastore      = "datastore"
	KindNetwork        = "network"
	KindTemplate       = "template"
)

// InventoryKinds lists the kinds in the order the inventory reply shows them.
var InventoryKinds = []string{KindDatacenter, KindComputeCluster, KindHost, KindResourcePool, KindFolder, KindDatastore, KindNetwork, KindTemplate}

// InventoryObject is one vSphere object as the inventory sync records it. Attributes that
// only some kinds have are in the typed pointers; nil means "not applicable".
type InventoryObject struct {
	Kind       string `json:"kind"`
	Moref      string `json:"moref"`
	Name       string `json:"name"`
	Path       string `json:"path"`       // inventory path, e.g. /DC0/host/DC0_C0
	Datacenter string `json:"datacenter"` // name of the datacenter the object is in ("" for a datacenter)
	Parent     string `json:"parent,omitempty"`

	Datastore *DatastoreInfo `json:"datastore,omitempty"`
	Template  *TemplateInfo  `json:"template,omitempty"`
	Network   *NetworkInfo   `json:"network,omitempty"`
	Compute   *ComputeInfo   `json:"compute,omitempty"`
}

// DatastoreInfo is the capacity of a datastore.
type DatastoreInfo struct {
	Type          string `json:"type"`
	URL           string `json:"url"`
	CapacityBytes int64  `json:"capacity_bytes"`
	FreeBytes     int64  `json:"free_bytes"`
	Accessible    bool   `json:"accessible"`
}

// TemplateInfo describes a VM template that clusters can be cloned from.
type TemplateInfo struct {
	GuestID         string `json:"guest_id"`
	GuestFullName   string `json:"guest_full_name"`
	HardwareVersion int    `json:"hardware_version"` // 15 for vmx-15
	CPUs            int    `json:"cpus"`
	MemoryMiB       int    `json:"memory_mib"`
	DiskGiB         int    `json:"disk_gib"` // sum of the virtual disks
	HasSnapshot     bool   `json:"has_snapshot"`
}

// NetworkInfo says what kind of network a network object is.
type NetworkInfo struct {
	Type string `json:"type"` // Network, DistributedVirtualPortgroup, OpaqueNetwork
}

// ComputeInfo sums the resources of a compute cluster or host.
type ComputeInfo struct {
	Hosts       int   `json:"hosts"`
	CPUMhz      int64 `json:"cpu_mhz"`
	MemoryBytes int64 `json:"memory_bytes"`
}

// Inventory is the GET /api/v1/vcenters/{name}/inventory reply: objects grouped by kind.
type Inventory struct {
	VCenter         string            `json:"vcenter"`
	SyncedAt        *time.Time        `json:"synced_at"`
	Datacenters     []InventoryObject `json:"datacenters"`
	ComputeClusters []InventoryObject `json:"compute_clusters"`
	Hosts           []InventoryObject `json:"hosts"`
	ResourcePools   []InventoryObject `json:"resource_pools"`
	Folders         []InventoryObject `json:"folders"`
	Datastores      []InventoryObject `json:"datastores"`
	Networks        []InventoryObject `json:"networks"`
	Templates       []InventoryObject `json:"templates"`
}
