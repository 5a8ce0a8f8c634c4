// Package sim is the simulated datacenter for dev mode and tests.
//
// It runs the same protocols that production talks to, in process, so that
// Clusterwright's real code paths are exercised rather than mocks of them.
// Today it provides a vCenter: govmomi's vcsim serving the real vSphere SOAP
// API over HTTPS, populated with a datacenter, a compute cluster, datastores,
// networks and the VM templates Clusterwright clones from (see StartVCenter).
// Node simulation (booting VMs from their cloud-init guestinfo, control planes
// and SSH access on loopback addresses) will live here as well.
//
// Every simulated vCenter has its own inventory and sessions, so tests may run
// several side by side in one process.
package sim
