package nodes

import (
	"context"
	"time"
)

// ControlPlaneStartTimeout bounds `systemctl start kubelet` on a control-plane node,
// which returns once the kubelet runs (and, on the simulated node, once its static
// control plane answers).
const ControlPlaneStartTimeout = 5 * time.Minute

// StopControlPlane stops the control plane of a control-plane node: its kubelet and
// with it the static Pods of etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, as the simulated node documents `systemctl stop kubelet` (see
// sim/node/ssh_services.go). On a node with a container runtime the static Pods'
// containers outlive the kubelet; there the manifests are to be moved out of
// /etc/kubernetes/manifests first. Stopping a stopped control plane does nothing.
func (a *Activities) StopControlPlane(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		_, err := s.Run(ctx, Command{Line: "sudo systemctl stop kubelet"})
		return err
	})
}

// StartControlPlane starts the control plane of a control-plane node again (its
// kubelet, which starts the static Pods from their manifests and data directories).
// Starting a running control plane does nothing.
func (a *Activities) StartControlPlane(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		_, err := s.Run(ctx, Command{Line: "sudo systemctl start kubelet", Timeout: ControlPlaneStartTimeout})
		return err
	})
}
