// Package kubeproc runs real Kubernetes control planes for the simulated
// datacenter: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler as child processes, on one loopback address per node.
//
// The binaries come from the cache that `make kubebin` fills (see
// sim/kubebin); Binaries locates them. Start ensures the leaf certificates
// and kubeconfigs the components need, issued from the cluster's own CAs,
// which the caller provides (the very CAs the service generated for the
// cluster), starts the four processes and waits until the API server is
// ready. Certificates are issued once, kubeadm's way and with kubeadm's
// names, into a Layout the caller may choose (a simulated node uses
// kubeadm's /etc/kubernetes under its root directory), and reused on every
// later start while they are valid. A control plane's etcd member may also
// join an existing etcd cluster (EtcdConfig), for clusters with several
// control-plane nodes.
//
// Every process is tied to the calling process: on Linux it is killed when its
// parent dies, so a crashed test leaves nothing running.
package kubeproc
