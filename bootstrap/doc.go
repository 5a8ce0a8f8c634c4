// Package bootstrap makes and keeps the bootstrap material of a cluster —
// its CAs, service-account keys, bootstrap token, SSH key, admin kubeconfig
// and KubeSphere admin password — sealed in the inventory, and renders each
// node's cloud-init from it. Workflows never see any of it: the activities
// that create VMs and install add-ons read it through Source, inside the
// worker.
package bootstrap
