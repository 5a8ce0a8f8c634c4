//go:build tools

// Package kubebin pins the Kubernetes control-plane commands and the etcd
// command-line tools (etcdctl, etcdutl) so that
// `go mod tidy` keeps every module they need. The binaries are built with
// build.sh; nothing imports this package.
package kubebin

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
