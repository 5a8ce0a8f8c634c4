package nodes

import "context"

// StopControlPlane stops the control plane of a control-plane node: the static
// Pods of etcd, kube-apiserver, kube-controller-manager and kube-scheduler. Their
// manifests are moved from ManifestsDir to HeldManifestsDir, and the activity waits
// (polling crictl) until the kubelet has stopped their containers. The kubelet
// keeps running, and so do other static Pods (kube-vip). Stopping a stopped
// control plane does nothing: the manifests are found held.
func (a *Activities) StopControlPlane(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		if err := holdManifests(ctx, s, ControlPlaneComponents...); err != nil {
			return err
		}
		return waitContainers(ctx, s, false, staticPodStopTimeout, ControlPlaneComponents...)
	})
}

// StartControlPlane starts the control plane of a control-plane node again: the
// held manifests go back to ManifestsDir, from where the kubelet starts the static
// Pods with the data and certificates on the node. It returns once the manifests are
// back, not once the control plane answers: the etcd members of a restored cluster
// answer only once a quorum of them runs, so a restore starts every node before it
// waits for the API server. Starting a running control plane does nothing.
func (a *Activities) StartControlPlane(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		return releaseManifests(ctx, s, ControlPlaneComponents...)
	})
}

// KubeVIPComponent is kube-vip's static Pod: its manifest is kube-vip.yaml.
const KubeVIPComponent = "kube-vip"

// StopKubeVIP stops kube-vip on a control-plane node that is about to leave the
// cluster: stopped gracefully it gives its Lease up, so that another control plane takes
// the virtual IP at once instead of after the Lease expires. Its manifest is held, not
// deleted; repeating it does nothing, and a node without kube-vip (a cluster made before
// the virtual IP) has nothing to stop.
func (a *Activities) StopKubeVIP(ctx context.Context, node NodeRef) error {
	return a.withSession(ctx, node, func(s *Session) error {
		active, held, err := manifestsAt(ctx, s)
		if err != nil {
			return err
		}
		if f := manifestFile(KubeVIPComponent); !active[f] && !held[f] {
			return nil
		}
		if err := holdManifests(ctx, s, KubeVIPComponent); err != nil {
			return err
		}
		return waitContainers(ctx, s, false, staticPodStopTimeout, KubeVIPComponent)
	})
}
