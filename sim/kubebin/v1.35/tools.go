//go:build tools

// Package kubebin pins the commands build.sh builds for Kubernetes v1.35.8:
// the control-plane components, the etcd server and the etcd command-line
// tools, so that `go mod tidy` keeps every module they need. Nothing imports
// this package.
package kubebin

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
