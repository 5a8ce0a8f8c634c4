package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitNodeVersionInput names a Node and the kubelet version it should report.
type WaitNodeVersionInput struct {
	ClusterID      string `json:"cluster_id"`
	Node           string `json:"node"`
	KubeletVersion string `json:"kubelet_version"`
}

// WaitNodeVersion waits until the Node is registered, Ready and reports the kubelet
// version asked for (status.nodeInfo.kubeletVersion; "1.37.2" and "v1.37.2" are the
// same), heartbeating what it waits for, and returns the Node's state.
func (a *Activities) WaitNodeVersion(ctx context.Context, in WaitNodeVersionInput) (NodeState, error) {
	cs, err := a.client(ctx, in.ClusterID)
	if err != nil {
		return NodeState{}, err
	}
	want := withV(in.KubeletVersion)
	var st NodeState
	err = wait(ctx, func() (bool, string, error) {
		node, err := cs.CoreV1().Nodes().Get(ctx, in.Node, metav1.GetOptions{})
		switch {
		case untrusted(err):
			return false, "", apiError(err, in.ClusterID, "get node "+in.Node)
		case notFound(err):
			return false, "waiting for node " + in.Node + " to register", nil
		case err != nil:
			return false, "waiting for the API server", nil
		}
		st = stateOf(*node)
		switch {
		case withV(st.KubeletVersion) != want:
			return false, fmt.Sprintf("waiting for node %s to run kubelet %s (it runs %s)", in.Node, want, st.KubeletVersion), nil
		case !st.Ready:
			return false, "waiting for node " + in.Node + " to be Ready", nil
		}
		return true, "", nil
	})
	return st, err
}

// APIServerVersion returns the version of the API server at the cluster's
// control-plane endpoint (GitVersion of GET /version).
func (a *Activities) APIServerVersion(ctx context.Context, clusterID string) (string, error) {
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return "", err
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return "", apiError(err, clusterID, "read the API server version")
	}
	return v.GitVersion, nil
}

// NodeStates returns the state of every Node of the cluster now, by name.
func (a *Activities) NodeStates(ctx context.Context, clusterID string) ([]NodeState, error) {
	cs, err := a.client(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, apiError(err, clusterID, "list nodes")
	}
	out := make([]NodeState, 0, len(list.Items))
	for _, n := range list.Items {
		out = append(out, stateOf(n))
	}
	slices.SortFunc(out, func(a, b NodeState) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// withV is a version with its leading "v".
func withV(version string) string {
	if version == "" || strings.HasPrefix(version, "v") {
		return version
	}
	return "v" + version
}
