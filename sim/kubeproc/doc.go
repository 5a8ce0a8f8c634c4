// Package kubeproc runs real Kubernetes control planes for the simulated
// datacenter: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler as child processes, on one loopback address per node.
//
// The binaries come from the cache that `make kubebin` fills (see
// sim/kubebin); Binaries locates them. Start issues the leaf certificates the
// components need from the cluster's own CAs, which the caller provides (the
// very CAs the service generated for the cluster), starts the four processes
// and waits until the API server is ready.
//
// Every process is tied to the calling process: on Linux it is killed when its
// parent dies, so a crashed test leaves nothing running.
package kubeproc
