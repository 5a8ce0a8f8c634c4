package nodes

import "context"

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

// StartControlPlane starts the control plane of a control-plane node again: its
// kubelet, which starts the static Pods from their manifests and data directories. It
// returns once the start is queued (`systemctl --no-block start kubelet`), not once
// the control plane answers: the etcd members of a restored cluster answer only once
// a quorum of them runs, so a restore starts every node before it waits for the API
// server. Starting a running control plane does nothing.
func (a *Activities) StartControlPlane(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		_, err := s.Run(ctx, Command{Line: "sudo systemctl --no-block start kubelet"})
		return err
	})
}
