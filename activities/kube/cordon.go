package kube

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// ErrTypeNodeNotFound: the cluster has no Node of that name.
const ErrTypeNodeNotFound = "NodeNotFound"

// NodeInput names one Node of a cluster.
type NodeInput struct {
	ClusterID string `json:"cluster_id"`
	Node      string `json:"node"`
}

// CordonNode marks the Node unschedulable (spec.unschedulable), so that no new Pod
// goes there. A cordoned Node is left as it is; a missing one fails without retry
// (ErrTypeNodeNotFound).
func (a *Activities) CordonNode(ctx context.Context, in NodeInput) error {
	cs, err := a.client(ctx, in.ClusterID)
	if err != nil {
		return err
	}
	return setUnschedulable(ctx, cs, in, true)
}

// UncordonNode makes the Node schedulable again. A schedulable Node is left as it
// is; a missing one fails without retry (ErrTypeNodeNotFound).
func (a *Activities) UncordonNode(ctx context.Context, in NodeInput) error {
	cs, err := a.client(ctx, in.ClusterID)
	if err != nil {
		return err
	}
	return setUnschedulable(ctx, cs, in, false)
}

// DeleteNode deletes the Node object (its VM is the vSphere activities' business).
// A Node that is gone already is done.
func (a *Activities) DeleteNode(ctx context.Context, in NodeInput) error {
	cs, err := a.client(ctx, in.ClusterID)
	if err != nil {
		return err
	}
	err = cs.CoreV1().Nodes().Delete(ctx, in.Node, metav1.DeleteOptions{})
	if err != nil && !notFound(err) {
		return apiError(err, in.ClusterID, "delete node "+in.Node)
	}
	return nil
}

// setUnschedulable sets the Node's spec.unschedulable to on, as kubectl cordon and
// uncordon do, unless it is so already.
func setUnschedulable(ctx context.Context, cs kubernetes.Interface, in NodeInput, on bool) error {
	node, err := cs.CoreV1().Nodes().Get(ctx, in.Node, metav1.GetOptions{})
	if notFound(err) {
		return nodeNotFound(in)
	}
	if err != nil {
		return apiError(err, in.ClusterID, "get node "+in.Node)
	}
	if node.Spec.Unschedulable == on {
		return nil
	}
	patch := fmt.Appendf(nil, `{"spec":{"unschedulable":%t}}`, on)
	_, err = cs.CoreV1().Nodes().Patch(ctx, in.Node, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if notFound(err) {
		return nodeNotFound(in)
	}
	if err != nil {
		return apiError(err, in.ClusterID, fmt.Sprintf("set node %s unschedulable=%t", in.Node, on))
	}
	return nil
}

// nodeNotFound is the non-retryable error of a Node the cluster does not have.
func nodeNotFound(in NodeInput) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("cluster %s has no node %s", in.ClusterID, in.Node), ErrTypeNodeNotFound, nil)
}
