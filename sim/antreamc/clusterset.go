package antreamc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// clusterSet is the part of a ClusterSet (v1alpha2) the controllers use.
type clusterSet struct {
	obj *unstructured.Unstructured
	// id is the ClusterSet ID: the object's name.
	id string
	// clusterID is spec.clusterID, the local cluster's ID.
	clusterID string
	// leader is spec.leaders[0].
	leaderID, server, secret string
	// leaderNamespace is spec.namespace (members only).
	leaderNamespace string
}

// readClusterSet returns the ClusterSet of namespace, or nil if there is
// none. The real controller's webhook allows one per namespace; should
// there be more, the first by name counts.
func (c *Controller) readClusterSet(ctx context.Context, namespace string) (*clusterSet, error) {
	list, err := c.dyn.Resource(clusterSetGVR).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list ClusterSets in %s: %w", namespace, err)
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	items := list.Items
	slices.SortFunc(items, func(a, b unstructured.Unstructured) int { return strings.Compare(a.GetName(), b.GetName()) })
	obj := &items[0]
	cs := &clusterSet{
		obj:             obj,
		id:              obj.GetName(),
		clusterID:       str(obj.Object, "spec", "clusterID"),
		leaderNamespace: str(obj.Object, "spec", "namespace"),
	}
	leaders, _, _ := unstructured.NestedSlice(obj.Object, "spec", "leaders")
	if len(leaders) > 0 {
		if l, ok := leaders[0].(map[string]any); ok {
			cs.leaderID, cs.server, cs.secret = str(l, "clusterID"), str(l, "server"), str(l, "secret")
		}
	}
	return cs, nil
}

// memberProblem says what keeps a member's ClusterSet from working, naming
// the field, or "". A member ClusterSet naming its own cluster as leader is
// fine: the leader cluster joins its own ClusterSet as a member too, as
// Antrea's quick start sets it up.
func (cs *clusterSet) memberProblem() string {
	leaders, _, _ := unstructured.NestedSlice(cs.obj.Object, "spec", "leaders")
	switch {
	case cs.clusterID == "":
		return "spec.clusterID is required"
	case len(leaders) != 1:
		return fmt.Sprintf("spec.leaders must have exactly one leader, has %d", len(leaders))
	case cs.leaderID == "":
		return "spec.leaders[0].clusterID is required"
	case cs.server == "":
		return "spec.leaders[0].server is required"
	case cs.secret == "":
		return "spec.leaders[0].secret is required"
	case cs.leaderNamespace == "":
		return "spec.namespace (the leader cluster's Namespace) is required"
	}
	return ""
}

// leaderProblem says what keeps a leader's ClusterSet from working, or "".
func (cs *clusterSet) leaderProblem() string {
	switch {
	case cs.clusterID == "":
		return "spec.clusterID is required"
	case cs.leaderID != cs.clusterID:
		return fmt.Sprintf("local cluster %s is not defined as leader in ClusterSet (spec.leaders[0].clusterID is %q)", cs.clusterID, cs.leaderID)
	}
	return ""
}

// dashPrefixPair reports whether one ClusterID is the other followed by a
// dash and more (east, east-1): their derived object names can collide.
func dashPrefixPair(a, b string) bool {
	return strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-")
}
