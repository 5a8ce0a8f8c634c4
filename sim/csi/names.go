package csi

// Names the real vSphere CSI driver and its sidecars use.
const (
	// Driver is the CSI driver's name: StorageClass provisioner and
	// PersistentVolume spec.csi.driver.
	Driver = "csi.vsphere.vmware.com"
	// Namespace is where the driver's controller and configuration live.
	Namespace = "vmware-system-csi"
	// ControllerDeployment is the driver's controller Deployment.
	ControllerDeployment = "vsphere-csi-controller"
	// ConfigSecret holds the driver's configuration under ConfigKey.
	ConfigSecret = "vsphere-config-secret"
	ConfigKey    = "csi-vsphere.conf"

	// Finalizer is the csi-provisioner sidecar's finalizer on the volumes it
	// provisions, removed once the disk is deleted.
	Finalizer = "external-provisioner.volume.kubernetes.io/finalizer"

	// annStorageProvisioner (and its beta form) is set on a claim by the
	// controller-manager's PersistentVolume controller when a claim waits
	// for an external provisioner.
	annStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	annBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	// annSelectedNode is set on a claim by the scheduler for
	// WaitForFirstConsumer classes.
	annSelectedNode = "volume.kubernetes.io/selected-node"
	// annProvisionedBy marks a volume with the provisioner that made it.
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"

	// volumeType is the volume attribute type the driver sets on block volumes.
	volumeType = "vSphere CNS Block Volume"
)

// knownParameters are the StorageClass parameters the driver accepts for
// block volumes (the sidecar passes csi.storage.k8s.io/fstype on as
// fstype).
var knownParameters = map[string]bool{
	"storagepolicyname": true, "datastoreurl": true, "storagepool": true, "fstype": true,
	"csi.storage.k8s.io/fstype": true,
}

// volumeName is the name of the volume (PersistentVolume and disk) of a
// claim, as the csi-provisioner sidecar names it.
func volumeName(claimUID string) string { return "pvc-" + claimUID }
