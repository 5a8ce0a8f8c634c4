// Package vsphere holds Clusterwright's side effects on vCenter: a per-process
// pool of logged-in sessions (Sessions), the credential check done when a
// vCenter is registered (CheckCredentials), the inventory read with the
// property collector (CollectInventory) and the Temporal activities built on
// them (Activities).
//
// Credentials come from the inventory store inside the activities, never from
// workflow inputs, and no error or log line of this package carries a password.
package vsphere
