package nodes

import (
	"context"
)

// renewAllCommand renews every certificate kubeadm manages on a control-plane node.
const renewAllCommand = "sudo kubeadm certs renew all"

// RenewCertificates renews every certificate kubeadm manages on a control-plane
// node (`kubeadm certs renew all`: new certificates from the CAs on the node, same
// keys) and restarts the node's static control-plane Pods one at a time so that they
// serve them — etcd, kube-apiserver, kube-controller-manager, kube-scheduler, each
// with its manifest moved out of ManifestsDir until crictl shows its container gone
// and back until it runs again (the kubeadm documentation's procedure; a kubelet
// restart would not restart them). Only one component of one node is down at a
// time, so a cluster of several control-plane nodes, renewed node by node, never
// loses its API server. Manifests left held by an interrupted run are put back
// first. It does not wait for the API server to answer: the caller does. Renewing
// twice is harmless.
func (a *Activities) RenewCertificates(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		held, err := heldComponents(ctx, s)
		if err != nil {
			return err
		}
		if len(held) > 0 {
			if err := releaseManifests(ctx, s, held...); err != nil {
				return err
			}
		}
		if _, err := s.Run(ctx, Command{Line: renewAllCommand}); err != nil {
			return err
		}
		for _, c := range ControlPlaneComponents {
			if err := restartStaticPod(ctx, s, c); err != nil {
				return err
			}
		}
		return nil
	})
}
