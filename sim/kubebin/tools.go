//go:build tools

// Package kubebin pins the Kubernetes control-plane commands so that
// `go mod tidy` keeps every module they need. The binaries are built with
// build.sh; nothing imports this package.
package kubebin

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
