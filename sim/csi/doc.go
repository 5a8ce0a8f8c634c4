// Package csi is the simulated vSphere CSI controller of the simulated
// datacenter: what the real csi-provisioner sidecar and the vSphere CSI
// driver's controller do for block volumes, through a cluster's API server
// and the vCenter named in the cluster's own vsphere-config-secret.
//
// A Controller watches the cluster's vsphere-csi-controller Deployment
// (namespace vmware-system-csi). While it has an available replica, the
// controller
//
//   - provisions every PersistentVolumeClaim that the cluster's
//     PersistentVolume controller hands to csi.vsphere.vmware.com (annotation
//     volume.kubernetes.io/storage-provisioner; with WaitForFirstConsumer
//     only once the scheduler has selected a node): it logs in to vCenter
//     with the credentials of csi-vsphere.conf, creates a First Class Disk
//     named pvc-<claim uid> with the vSphere API (VStorageObjectManager
//     CreateDisk_Task) and creates the PersistentVolume whose volumeHandle
//     is the disk's id, pre-bound to the claim; the real controller-manager
//     binds the two;
//   - deletes the disk and then the PersistentVolume once a volume it
//     provisioned with reclaim policy Delete is Released (its claim deleted).
//
// A StorageClass's storagepolicyname is accepted but not evaluated (vcsim
// has no storage policy placement): a disk goes to the datastore named by
// datastoreurl, else to the accessible datastore of the configured
// datacenters with the most free space.
//
// Failures (wrong credentials, no datastore) leave the claim Pending with a
// ProvisioningFailed event, as the real driver does. Nothing happens in a
// cluster without the Deployment.
package csi
