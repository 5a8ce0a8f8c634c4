package nodes

import (
	"context"
	"time"
)

// Commands of a control-plane node's certificate renewal.
const (
	renewAllCommand = "sudo kubeadm certs renew all"
	// restartControlPlaneCommand restarts the static control-plane Pods so that they
	// load the renewed certificates. On a kubeadm node the documented way is to move
	// the manifests out of /etc/kubernetes/manifests and back; the simulated node runs
	// its static Pods with its kubelet, and restarting the kubelet restarts them (see
	// sim/node/ssh_services.go).
	restartControlPlaneCommand = "sudo systemctl restart kubelet"
)

// restartTimeout bounds the restart of a node's control plane.
const restartTimeout = 4 * time.Minute

// RenewCertificates renews every certificate kubeadm manages on a control-plane
// node (`kubeadm certs renew all`: new certificates from the CAs on the node, same
// keys) and restarts the node's control plane so that it serves them. It does not
// wait for the API server: the caller does. Renewing twice is harmless.
func (a *Activities) RenewCertificates(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		if _, err := s.Run(ctx, Command{Line: renewAllCommand}); err != nil {
			return err
		}
		_, err := s.Run(ctx, Command{Line: restartControlPlaneCommand, Timeout: restartTimeout})
		return err
	})
}
