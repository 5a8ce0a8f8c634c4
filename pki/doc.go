// Package pki generates and parses the cluster PKI that Clusterwright creates
// for every Kubernetes cluster it provisions: the three kubeadm CAs (cluster,
// etcd and front-proxy), leaf certificates, the service-account signing key
// pair, bootstrap tokens, the discovery CA certificate hash, the per-cluster
// SSH key used for Day-2 node access, and kubeconfig files.
//
// The formats follow what kubeadm writes under /etc/kubernetes/pki, so that
// kubeadm accepts the files as pre-existing ("external") material and the
// simulator can run real control-plane processes on them.
package pki
