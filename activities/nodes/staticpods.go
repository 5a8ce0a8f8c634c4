package nodes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The static control-plane Pods of a kubeadm node, stopped and started the way
// the kubeadm documentation says: a Pod's manifest moved out of the kubelet's
// manifest directory stops it (the kubelet looks every fileCheckFrequency,
// 20 s by default), moved back starts it, and the container runtime (crictl)
// says when that is done. Restarting the kubelet would not do: the containers
// outlive it. Manifests of other static Pods (kube-vip) are never touched.
const (
	// ManifestsDir is the kubelet's static Pod directory.
	ManifestsDir = "/etc/kubernetes/manifests"
	// HeldManifestsDir holds the manifests of a control plane stopped by
	// Clusterwright, so that a rerun after a crash finds them there.
	HeldManifestsDir = "/etc/kubernetes/manifests.clusterwright-stopped"
	// criEndpoint is containerd's socket, kubeadm's criSocket.
	criEndpoint = "unix:///var/run/containerd/containerd.sock"
)

// Timing of the static Pods' stop and start.
const (
	// staticPodPoll is how often crictl is asked whether the containers run.
	staticPodPoll = time.Second
	// staticPodStopTimeout bounds the wait for a control plane's containers to
	// stop: the kubelet's look at its directory (20 s) and the Pods' grace.
	staticPodStopTimeout = 2 * time.Minute
	// staticPodStartTimeout bounds the wait for a container to run again.
	staticPodStartTimeout = 2 * time.Minute
)

// ControlPlaneComponents are the static Pods of a kubeadm control plane, in
// the order the kubelet needs them: etcd, then the API server, then the
// controllers, which talk to it.
var ControlPlaneComponents = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// manifestFile is the file name of a component's manifest.
func manifestFile(component string) string { return component + ".yaml" }

// listDir returns the names of the files in dir on the node.
func listDir(ctx context.Context, s *Session, dir string) (map[string]bool, error) {
	out, err := s.Run(ctx, Command{Line: "sudo ls -1 " + dir})
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, l := range strings.Split(string(out.Stdout), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names[l] = true
		}
	}
	return names, nil
}

// manifestsAt lists the manifest directory and the holding directory
// (created if needed).
func manifestsAt(ctx context.Context, s *Session) (active, held map[string]bool, err error) {
	if _, err := s.Run(ctx, Command{Line: "sudo mkdir -p " + ManifestsDir + " " + HeldManifestsDir}); err != nil {
		return nil, nil, err
	}
	if active, err = listDir(ctx, s, ManifestsDir); err != nil {
		return nil, nil, err
	}
	if held, err = listDir(ctx, s, HeldManifestsDir); err != nil {
		return nil, nil, err
	}
	return active, held, nil
}

// holdManifests moves the manifests of components out of the manifest
// directory into the holding directory. A manifest found held already (a
// rerun) is fine; one found nowhere is an error: the node is no control-plane
// node of kubeadm's.
func holdManifests(ctx context.Context, s *Session, components ...string) error {
	active, held, err := manifestsAt(ctx, s)
	if err != nil {
		return err
	}
	for _, c := range components {
		f := manifestFile(c)
		switch {
		case active[f]:
			if _, err := s.Run(ctx, Command{Line: "sudo mv " + ManifestsDir + "/" + f + " " + HeldManifestsDir + "/" + f}); err != nil {
				return err
			}
		case !held[f]:
			return nonRetryable(ErrTypeNoControlPlane, "node %s has no static Pod manifest %s in %s or %s: not a kubeadm control-plane node",
				s.node.Node, f, ManifestsDir, HeldManifestsDir)
		}
	}
	return nil
}

// releaseManifests moves the held manifests of components back into the
// manifest directory. A manifest in place already (a rerun) is fine, and a
// held copy beside it is dropped: the one in place is what the kubelet runs.
func releaseManifests(ctx context.Context, s *Session, components ...string) error {
	active, held, err := manifestsAt(ctx, s)
	if err != nil {
		return err
	}
	for _, c := range components {
		f := manifestFile(c)
		line := ""
		switch {
		case held[f] && active[f]:
			line = "sudo rm -f " + HeldManifestsDir + "/" + f
		case held[f]:
			line = "sudo mv " + HeldManifestsDir + "/" + f + " " + ManifestsDir + "/" + f
		case !active[f]:
			return nonRetryable(ErrTypeNoControlPlane, "node %s has no static Pod manifest %s in %s or %s: not a kubeadm control-plane node",
				s.node.Node, f, ManifestsDir, HeldManifestsDir)
		}
		if line != "" {
			if _, err := s.Run(ctx, Command{Line: line}); err != nil {
				return err
			}
		}
	}
	return nil
}

// runningContainers returns the IDs of the running containers named for
// components (crictl ps --name '^(a|b)$' -q).
func runningContainers(ctx context.Context, s *Session, components ...string) ([]string, error) {
	line := fmt.Sprintf("sudo crictl --runtime-endpoint %s ps --name '^(%s)$' -q", criEndpoint, strings.Join(components, "|"))
	out, err := s.Run(ctx, Command{Line: line})
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out.Stdout)), nil
}

// errStillWaiting is the poll's "not yet".
var errStillWaiting = errors.New("not yet")

// waitContainers polls crictl until the containers of components are all
// gone (running false) or one runs per component (running true), for at
// most timeout.
func waitContainers(ctx context.Context, s *Session, running bool, timeout time.Duration, components ...string) error {
	began := time.Now()
	deadline := began.Add(timeout)
	for {
		ids, err := runningContainers(ctx, s, components...)
		if err != nil {
			return err
		}
		done := len(ids) == 0
		if running {
			done = len(ids) >= len(components)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			what := "still running"
			if running {
				what = fmt.Sprintf("%d of %d running", len(ids), len(components))
			}
			return fmt.Errorf("static Pods %s on node %s: %s after %s (crictl ps); the kubelet may not be running",
				strings.Join(components, ", "), s.node.Node, what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(staticPodPoll):
		}
	}
}

// restartStaticPod restarts one static Pod: manifest out, wait until its
// container is gone, manifest back, wait until it runs again.
func restartStaticPod(ctx context.Context, s *Session, component string) error {
	if err := holdManifests(ctx, s, component); err != nil {
		return err
	}
	if err := waitContainers(ctx, s, false, staticPodStopTimeout, component); err != nil {
		return err
	}
	if err := releaseManifests(ctx, s, component); err != nil {
		return err
	}
	return waitContainers(ctx, s, true, staticPodStartTimeout, component)
}

// heldComponents returns the control-plane components whose manifests are
// held (a stop not followed by a start, or a crashed restart).
func heldComponents(ctx context.Context, s *Session) ([]string, error) {
	_, held, err := manifestsAt(ctx, s)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(ControlPlaneComponents), func(c string) bool { return !held[manifestFile(c)] }), nil
}
