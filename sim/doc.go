// Package sim is the simulated datacenter for dev mode and tests.
//
// It runs the same protocols that production talks to, in process, so that
// Clusterwright's real code paths are exercised rather than mocks of them.
// StartVCenter gives a vCenter: govmomi's vcsim serving the real vSphere SOAP
// API over HTTPS, populated with a datacenter, a compute cluster, datastores,
// networks and the VM templates Clusterwright clones from. StartDatacenter adds
// the nodes: VMs that power on with Clusterwright's cloud-init in guestinfo boot
// into real Kubernetes control planes and simulated kubelets on loopback
// addresses (package sim/node). Faults makes chosen calls fail on purpose.
// Where vcsim departs from vSphere in what Clusterwright relies on, the package
// makes it keep vSphere's promise (a clone has disks of its own: see
// installCloneDisks; a lookup by name never meets a VM vcsim has not named yet:
// see installSearchIndex). A vSphere call whose handler panics is logged with its
// stack and answered with a fault (see guardSDK).
//
// Every simulated vCenter has its own inventory and sessions, so tests may run
// several side by side in one process.
//
// Package sim/idp is the identity provider people sign in with: a real OpenID
// Provider (zitadel/oidc's op package) in process, with configured users and
// groups, for the portal's single sign-on.
package sim
