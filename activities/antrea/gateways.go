package antrea

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// DefaultGatewayCandidates is how many gateway candidates a member gets
// when the request names none.
const DefaultGatewayCandidates = 2

// controlPlaneLabel marks control-plane Nodes.
const controlPlaneLabel = "node-role.kubernetes.io/control-plane"

// GatewaysRequest asks for a member's gateway candidates.
type GatewaysRequest struct {
	Set     string  `json:"set"`
	Cluster Cluster `json:"cluster"`
	// Nodes are the candidates; empty lets the activity choose.
	Nodes []string `json:"nodes,omitempty"`
	// Count is how many candidates to choose when Nodes is empty; default
	// DefaultGatewayCandidates.
	Count int `json:"count,omitempty"`
	// Exclude are Nodes about to leave the cluster (scaled down, replaced,
	// drained for an upgrade): they lose the gateway annotation, whoever set
	// it, and a replacement candidate takes each one's place, so that Antrea
	// moves an active Gateway off them before they go.
	Exclude []string `json:"exclude,omitempty"`
}

// GatewaysResult lists a member's gateway candidates.
type GatewaysResult struct {
	// Candidates are the Nodes annotated as gateway candidates, by name.
	Candidates []string `json:"candidates"`
	// Active is the Node of the active Gateway, when MoveGatewayOff waited for one.
	Active string `json:"active,omitempty"`
}

// AnnotateGateways annotates a member's gateway candidates
// (multicluster.antrea.io/gateway=true): the Nodes named, or else Count
// Ready Nodes: those already candidates first, then workers by name, then
// control planes. Excluded Nodes are never candidates: a named one is
// replaced by a chosen one. Nodes Clusterwright annotated earlier that are
// no longer candidates lose the annotation; annotations it did not make are
// left alone, but on excluded Nodes. Repeating it changes nothing.
func (a *Activities) AnnotateGateways(ctx context.Context, req GatewaysRequest) (GatewaysResult, error) {
	if err := checkSet(req.Set); err != nil {
		return GatewaysResult{}, err
	}
	c, err := a.connect(ctx, req.Cluster)
	if err != nil {
		return GatewaysResult{}, classify(err)
	}
	list, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return GatewaysResult{}, classify(fmt.Errorf("list Nodes of cluster %s: %w", c.cluster, err))
	}
	for _, name := range req.Nodes {
		if !slices.ContainsFunc(list.Items, func(n corev1.Node) bool { return n.Name == name }) {
			return GatewaysResult{}, nonRetryable(ErrTypeUnknownNode, "gateway node %s is not a node of cluster %s", name, c.cluster)
		}
	}
	want := wantedCandidates(list.Items, req)
	if len(want) == 0 {
		return GatewaysResult{}, fmt.Errorf("cluster %s has no Ready Node to be a gateway", c.cluster)
	}
	for _, n := range list.Items {
		_, annotated := n.Annotations[GatewayAnnotation]
		ours := n.Annotations[GatewayOfAnnotation] == req.Set
		switch candidate := slices.Contains(want, n.Name); {
		case slices.Contains(req.Exclude, n.Name) && annotated:
			err = c.patchGateway(ctx, n.Name, map[string]any{GatewayAnnotation: nil, GatewayOfAnnotation: nil})
		case candidate && !annotated:
			err = c.patchGateway(ctx, n.Name, map[string]any{GatewayAnnotation: "true", GatewayOfAnnotation: req.Set})
		case !candidate && ours:
			err = c.patchGateway(ctx, n.Name, map[string]any{GatewayAnnotation: nil, GatewayOfAnnotation: nil})
		}
		if err != nil {
			return GatewaysResult{}, classify(err)
		}
	}
	out := slices.Clone(want)
	slices.Sort(out)
	return GatewaysResult{Candidates: out}, nil
}

// wantedCandidates are the candidates a request asks for: the Nodes named
// but the excluded ones, topped up with chosen ones to as many as were named;
// or, when none are named, Count chosen ones (default
// DefaultGatewayCandidates).
func wantedCandidates(nodes []corev1.Node, req GatewaysRequest) []string {
	count := req.Count
	if count <= 0 {
		count = DefaultGatewayCandidates
	}
	if len(req.Nodes) > 0 {
		count = len(req.Nodes)
	}
	want := slices.DeleteFunc(slices.Clone(req.Nodes), func(n string) bool { return slices.Contains(req.Exclude, n) })
	if len(want) == count {
		return want
	}
	others := slices.DeleteFunc(slices.Clone(nodes), func(n corev1.Node) bool {
		return slices.Contains(want, n.Name) || slices.Contains(req.Exclude, n.Name)
	})
	return append(want, chooseCandidates(others, count-len(want))...)
}

// chooseCandidates picks count Ready Nodes: those already annotated as
// gateways, then workers by name, then control planes by name.
func chooseCandidates(nodes []corev1.Node, count int) []string {
	var annotated, workers, controlPlanes []string
	for _, n := range nodes {
		if !nodeReady(&n) {
			continue
		}
		_, isGateway := n.Annotations[GatewayAnnotation]
		_, isControlPlane := n.Labels[controlPlaneLabel]
		switch {
		case isGateway:
			annotated = append(annotated, n.Name)
		case isControlPlane:
			controlPlanes = append(controlPlanes, n.Name)
		default:
			workers = append(workers, n.Name)
		}
	}
	slices.Sort(annotated)
	slices.Sort(workers)
	slices.Sort(controlPlanes)
	all := slices.Concat(annotated, workers, controlPlanes)
	return all[:min(count, len(all))]
}

// removeGateways removes the gateway annotations Clusterwright made for set.
func (c *clients) removeGateways(ctx context.Context, set string) error {
	list, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list Nodes of cluster %s: %w", c.cluster, err)
	}
	for _, n := range list.Items {
		if n.Annotations[GatewayOfAnnotation] != set {
			continue
		}
		if err := c.patchGateway(ctx, n.Name, map[string]any{GatewayAnnotation: nil, GatewayOfAnnotation: nil}); err != nil {
			return err
		}
	}
	return nil
}

// patchGateway sets (or with nil values removes) a Node's annotations.
func (c *clients) patchGateway(ctx context.Context, node string, annotations map[string]any) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return err
	}
	if _, err := c.kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager}); err != nil {
		return fmt.Errorf("annotate Node %s of cluster %s: %w", node, c.cluster, err)
	}
	c.log.Info("gateway candidate changed", "node", node, "annotations", annotations)
	return nil
}

// nodeReady reports whether a Node's Ready condition is True.
func nodeReady(n *corev1.Node) bool {
	return slices.ContainsFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool {
		return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
	})
}
