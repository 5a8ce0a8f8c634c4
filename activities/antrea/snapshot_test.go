package antrea_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/activities/antrea"
	"github.com/clusterwright/clusterwright/activities/antrea/antreatest"
)

// snapshot records a cluster's objects a ClusterSet may touch (antreatest.Take).
func snapshot(t *testing.T, c *testCluster) antreatest.Snapshot {
	t.Helper()
	s, err := antreatest.Take(t.Context(), c.dyn)
	if err != nil {
		t.Fatalf("snapshot of %s: %v", c.ref.Name, err)
	}
	return s
}

// assertSameSnapshot fails naming every object added, removed or changed.
func assertSameSnapshot(t *testing.T, c *testCluster, before antreatest.Snapshot) {
	t.Helper()
	for _, d := range snapshot(t, c).Diff(before) {
		t.Errorf("%s: %s", c.ref.Name, d)
	}
}

// versions records what the activities made, to show that repeating them
// writes nothing: the generation of Deployments and ClusterSets (their
// controllers write the status), the resourceVersion of the rest, and the
// Nodes' annotations.
func versions(t *testing.T, c *testCluster) map[string]string {
	t.Helper()
	ctx := t.Context()
	sel := antrea.LabelManagedBy + "=clusterwright"
	out := map[string]string{}
	// Every kind but webhook configurations and Nodes, and the ClusterSets.
	kinds := append(slices.Clone(antreatest.Kinds[:len(antreatest.Kinds)-2]),
		antreatest.Kind{GVR: antreatest.MulticlusterKinds()[0].GVR, Namespaces: []string{antrea.MemberNamespace, antrea.LeaderNamespace}})
	for _, k := range kinds {
		items, err := antreatest.List(ctx, c.dyn, k, sel)
		if err != nil {
			t.Fatalf("versions of %s: %v", c.ref.Name, err)
		}
		for _, o := range items {
			v := o.GetResourceVersion()
			if k.GVR.Resource == "deployments" || k.GVR.Resource == "clustersets" {
				v = fmt.Sprintf("generation %d", o.GetGeneration())
			}
			out[k.GVR.Resource+" "+o.GetNamespace()+"/"+o.GetName()] = v
		}
	}
	nodes, err := c.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		b, _ := json.Marshal(n.Annotations)
		out["nodes "+n.Name] = string(b)
	}
	return out
}
