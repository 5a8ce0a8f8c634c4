package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UninitializedTaint is the taint the kubelet puts on a node with an external
// cloud provider until the provider has initialised it.
const UninitializedTaint = "node.cloudprovider.kubernetes.io/uninitialized"

// WaitNodesInput names the nodes to wait for and what to wait for.
type WaitNodesInput struct {
	ClusterID string   `json:"cluster_id"`
	Names     []string `json:"names"`
	// Ready waits for the Ready condition; otherwise registration is enough.
	Ready bool `json:"ready,omitempty"`
	// Initialized waits for the cloud provider: a provider ID set and the
	// uninitialized taint gone.
	Initialized bool `json:"initialized,omitempty"`
}

// NodeState is what a node reports of itself.
type NodeState struct {
	Name           string `json:"name"`
	Ready          bool   `json:"ready"`
	KubeletVersion string `json:"kubelet_version"`
	ProviderID     string `json:"provider_id,omitempty"`
	InternalIP     string `json:"internal_ip,omitempty"`
	// Unschedulable: the node is cordoned.
	Unschedulable bool `json:"unschedulable,omitempty"`
}

// WaitNodes waits until every named node is registered (and Ready, and
// initialised by the cloud provider, as asked) and returns their states in
// the order of in.Names.
func (a *Activities) WaitNodes(ctx context.Context, in WaitNodesInput) ([]NodeState, error) {
	cs, err := a.client(ctx, in.ClusterID)
	if err != nil {
		return nil, err
	}
	var states []NodeState
	err = wait(ctx, func() (bool, string, error) {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			if untrusted(err) {
				return false, "", fmt.Errorf("list nodes: %w", err)
			}
			return false, "waiting for the API server", nil
		}
		byName := map[string]corev1.Node{}
		for _, n := range list.Items {
			byName[n.Name] = n
		}
		states = states[:0]
		var missing []string
		for _, name := range in.Names {
			n, ok := byName[name]
			if !ok {
				missing = append(missing, name+" (not registered)")
				continue
			}
			st := stateOf(n)
			states = append(states, st)
			switch {
			case in.Ready && !st.Ready:
				missing = append(missing, name+" (not Ready)")
			case in.Initialized && (st.ProviderID == "" || tainted(n)):
				missing = append(missing, name+" (not initialised by the cloud provider)")
			}
		}
		if len(missing) > 0 {
			return false, "waiting for " + strings.Join(missing, ", "), nil
		}
		return true, "", nil
	})
	return states, err
}

func stateOf(n corev1.Node) NodeState {
	st := NodeState{Name: n.Name, KubeletVersion: n.Status.NodeInfo.KubeletVersion, ProviderID: n.Spec.ProviderID,
		Unschedulable: n.Spec.Unschedulable}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			st.Ready = c.Status == corev1.ConditionTrue
		}
	}
	for _, addr := range n.Status.Addresses {
		if addr.Type == corev1.NodeInternalIP && st.InternalIP == "" {
			st.InternalIP = addr.Address
		}
	}
	return st
}

func tainted(n corev1.Node) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == UninitializedTaint })
}
