// Package cloudinit defines Clusterwright's node bootstrap format: the
// cloud-init metadata and userdata that the service renders for every VM
// and delivers through vSphere guestinfo, and that the simulator parses
// back to boot the node. Keeping both directions in one package keeps the
// service and the simulator on one definition.
//
// The pieces, from the bottom up:
//
//   - guestinfo.go: the VM extraConfig keys and their encodings.
//   - metadata.go: the metadata document read by cloud-init's VMware
//     datasource (instance id, hostname, netplan v2 network config).
//   - userdata.go: the #cloud-config document (users, write_files, runcmd).
//   - kubeadm_types.go, kubeadm.go: the subset of kubeadm's v1beta4
//     configuration that Clusterwright writes to /etc/kubernetes/kubeadm.yaml.
//   - node.go, node_parse.go: Render and ParseNode, which tie the above
//     together for one node.
package cloudinit
