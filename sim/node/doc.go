// Package node simulates the guest of a Kubernetes node VM: what cloud-init,
// kubeadm, the kubelet and the vSphere cloud provider do once a VM that
// carries Clusterwright's cloud-init in its guestinfo powers on.
//
// A Node stands for one VM. Its root directory stands for the guest's "/":
// cloud-init writes the write_files entries there (the cluster PKI under
// /etc/kubernetes/pki, /etc/kubernetes/kubeadm.yaml), and the node keeps
// everything kubeadm and the kubelet would keep on disk there, so that a
// powered-off node starts again from its own data. Booting a node:
//
//   - reports the guest's identity to vCenter as VMware Tools does (its
//     static address and host name, see GuestReporter);
//   - on the first boot of the instance, runs `kubeadm init` or `kubeadm join`
//     as its userdata says: a real control plane (sim/kubeproc) on the node's
//     loopback address with kubeadm's certificates, kubeconfigs and cluster
//     objects, token discovery and TLS bootstrap for joining nodes, and an
//     etcd member added to the existing cluster for joining control planes;
//   - on every boot, starts what kubeadm left behind: the control plane (as
//     the kubelet starts its static Pods) and a simulated kubelet that
//     registers its Node, renews its Lease and runs its Pods' status, the way
//     kwok does;
//   - on control-plane nodes, runs a simulated vSphere cloud provider that
//     initialises Nodes (providerID, addresses, taint) once the CPI's
//     DaemonSet is installed, and deletes Nodes whose VM is gone.
//
// Only the hardware, the guest OS and the container runtime are simulated:
// every Kubernetes API call goes to real API servers with the identities a
// real node would use (bootstrap token, kubelet client certificate, admin).
package node
