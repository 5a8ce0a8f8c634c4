package addons

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/clusterwright/clusterwright/domain"
)

// VCenterConn is how the vSphere CPI and CSI drivers inside a cluster reach
// vCenter. It holds a password: it is read inside activities, never passed
// through workflows.
type VCenterConn struct {
	// Host is the vCenter host name or IP. A host:port or an https URL (as
	// registered, e.g. https://vc/sdk) is accepted too; the charts get the
	// host alone.
	Host string
	// Port is vCenter's HTTPS port; 0 means the one in Host, else 443.
	Port     int
	Username string
	Password string
	// Insecure skips verifying vCenter's certificate.
	Insecure bool
	// Thumbprint pins vCenter's certificate (SHA-1, colon-separated hex).
	Thumbprint string
}

// DefaultVCenterPort is vCenter's HTTPS port.
const DefaultVCenterPort = 443

// MaxCSIClusterIDLength is the longest [Global] cluster-id the CSI driver
// accepts.
const MaxCSIClusterIDLength = 64

// CSI defaults.
const (
	CSIStorageClass  = "vsphere-csi-sc"
	CSISnapshotClass = "vsphere-csi-snapclass"
	CSIProvisioner   = "csi.vsphere.vmware.com"
)

// hostPort returns vCenter's host (without port or brackets) and port.
func (vc VCenterConn) hostPort() (string, int) {
	host, port := vc.Host, 0
	if strings.Contains(host, "://") {
		if u, err := url.Parse(host); err == nil {
			host = u.Host
		}
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		host = h
		port, _ = strconv.Atoi(p)
	}
	host = strings.Trim(host, "[]")
	if vc.Port != 0 {
		port = vc.Port
	}
	if port == 0 {
		port = DefaultVCenterPort
	}
	return host, port
}

// vcenterConfig is the vCenter part of both charts' config.
func (vc VCenterConn) vcenterConfig() map[string]any {
	host, port := vc.hostPort()
	cfg := map[string]any{
		"vcenter":      host,
		"port":         port,
		"username":     vc.Username,
		"password":     vc.Password,
		"insecureFlag": vc.Insecure,
	}
	if vc.Thumbprint != "" {
		cfg["thumbprint"] = vc.Thumbprint
	}
	return cfg
}

// CPIValues are the values of the vsphere-cpi chart: the chart renders the
// vSphere cloud configuration (ConfigMap vsphere-cloud-config) and the
// credentials (Secret vsphere-cloud-secret) for vCenter vc and datacenter.
func CPIValues(vc VCenterConn, datacenter string) map[string]any {
	cfg := vc.vcenterConfig()
	cfg["enabled"] = true
	cfg["datacenter"] = datacenter
	return map[string]any{"config": cfg}
}

// CSIValues are the values of the vsphere-csi chart for the cluster
// clusterID: the driver's configuration (Secret vsphere-config-secret) with
// a cluster-id of at most MaxCSIClusterIDLength characters, volume
// snapshots with their VolumeSnapshotClass, and a StorageClass on the
// spec's storage policy, the cluster's default unless the spec says not.
func CSIValues(clusterID string, vc VCenterConn, datacenter string, spec domain.ClusterSpec) map[string]any {
	cfg := vc.vcenterConfig()
	cfg["clusterID"] = CSIClusterID(clusterID)
	cfg["datacenters"] = datacenter
	sc := map[string]any{"create": true, "name": CSIStorageClass, "default": true}
	if csi := spec.Addons.VSphereCSI; csi != nil {
		if csi.DefaultClass != nil {
			sc["default"] = *csi.DefaultClass
		}
		if csi.StoragePolicy != "" {
			sc["storagePolicyName"] = csi.StoragePolicy
		}
	}
	return map[string]any{
		"config":              cfg,
		"snapshot":            map[string]any{"enabled": true},
		"storageClass":        sc,
		"volumeSnapshotClass": map[string]any{"create": true, "name": CSISnapshotClass},
	}
}

// CSIClusterID returns id when it fits the CSI driver's cluster-id, else
// a deterministic shortening: its first characters and a hash of the whole.
func CSIClusterID(id string) string {
	if len(id) <= MaxCSIClusterIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	suffix := "-" + hex.EncodeToString(sum[:])[:16]
	return id[:MaxCSIClusterIDLength-len(suffix)] + suffix
}
