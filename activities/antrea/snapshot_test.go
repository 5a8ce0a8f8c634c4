package antrea_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/clusterwright/clusterwright/activities/antrea"
)

// snapshotKind is a kind the snapshot records.
type snapshotKind struct {
	gvr schema.GroupVersionResource
	// namespaces are where to look; nil means cluster-scoped, "" all.
	namespaces []string
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

var (
	mcNamespaces = []string{antrea.MemberNamespace, antrea.LeaderNamespace}
	allNS        = []string{""}
	// snapshotKinds are the objects a ClusterSet may touch.
	snapshotKinds = []snapshotKind{
		{gvr("", "v1", "namespaces"), nil},
		{gvr("", "v1", "serviceaccounts"), mcNamespaces},
		{gvr("", "v1", "configmaps"), mcNamespaces},
		{gvr("", "v1", "secrets"), mcNamespaces},
		{gvr("apps", "v1", "deployments"), mcNamespaces},
		{gvr("rbac.authorization.k8s.io", "v1", "roles"), mcNamespaces},
		{gvr("rbac.authorization.k8s.io", "v1", "rolebindings"), mcNamespaces},
		{gvr("rbac.authorization.k8s.io", "v1", "clusterroles"), nil},
		{gvr("rbac.authorization.k8s.io", "v1", "clusterrolebindings"), nil},
		{gvr("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"), nil},
		{gvr("", "v1", "nodes"), nil},
	}
	// mcKinds are the multicluster kinds, recorded by name in every namespace.
	mcKinds = []string{"clustersets", "memberclusterannounces", "resourceexports", "resourceimports", "gateways", "clusterinfoimports"}
)

// snapshot records a cluster's objects a ClusterSet may touch: for each, its
// labels and annotations, and a digest of a ConfigMap's or Secret's data
// (Nodes: annotations only, as their status changes all the time).
func snapshot(t *testing.T, c *testCluster) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	kinds := slices.Clone(snapshotKinds)
	for _, r := range mcKinds {
		version := "v1alpha1"
		if r == "clustersets" {
			version = "v1alpha2"
		}
		kinds = append(kinds, snapshotKind{gvr("multicluster.crd.antrea.io", version, r), allNS})
	}
	for _, k := range kinds {
		items, err := listKind(ctx, c, k, "")
		if err != nil {
			t.Fatalf("snapshot of %s: %v", c.ref.Name, err)
		}
		record(out, k.gvr, items)
	}
	return out
}

func record(out map[string]string, g schema.GroupVersionResource, items []unstructured.Unstructured) {
	for _, o := range items {
		v := map[string]any{"annotations": o.GetAnnotations()}
		if g.Resource != "nodes" {
			v["labels"] = o.GetLabels()
		}
		for _, field := range []string{"data", "binaryData"} {
			if d, ok := o.Object[field]; ok {
				b, _ := json.Marshal(d)
				sum := sha256.Sum256(b)
				v[field] = hex.EncodeToString(sum[:8])
			}
		}
		b, _ := json.Marshal(v)
		out[g.Resource+" "+o.GetNamespace()+"/"+o.GetName()] = string(b)
	}
}

// assertSameSnapshot fails naming every object added, removed or changed.
func assertSameSnapshot(t *testing.T, c *testCluster, before map[string]string) {
	t.Helper()
	after := snapshot(t, c)
	keys := slices.Sorted(maps.Keys(maps.Collect(func(yield func(string, bool) bool) {
		for k := range before {
			yield(k, true)
		}
		for k := range after {
			yield(k, true)
		}
	})))
	for _, k := range keys {
		b, inBefore := before[k]
		a, inAfter := after[k]
		switch {
		case !inAfter:
			t.Errorf("%s: %s is gone", c.ref.Name, k)
		case !inBefore:
			t.Errorf("%s: %s was added: %s", c.ref.Name, k, a)
		case a != b:
			t.Errorf("%s: %s changed:\n  before %s\n  after  %s", c.ref.Name, k, b, a)
		}
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
	kinds := append(slices.Clone(snapshotKinds[:len(snapshotKinds)-2]),
		snapshotKind{gvr("multicluster.crd.antrea.io", "v1alpha2", "clustersets"), mcNamespaces})
	for _, k := range kinds {
		items, err := listKind(ctx, c, k, sel)
		if err != nil {
			t.Fatalf("versions of %s: %v", c.ref.Name, err)
		}
		for _, o := range items {
			v := o.GetResourceVersion()
			if k.gvr.Resource == "deployments" || k.gvr.Resource == "clustersets" {
				v = fmt.Sprintf("generation %d", o.GetGeneration())
			}
			out[k.gvr.Resource+" "+o.GetNamespace()+"/"+o.GetName()] = v
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

// listKind lists the objects of a kind matching sel in its namespaces.
func listKind(ctx context.Context, c *testCluster, k snapshotKind, sel string) ([]unstructured.Unstructured, error) {
	opts := metav1.ListOptions{LabelSelector: sel}
	if k.namespaces == nil {
		list, err := c.dyn.Resource(k.gvr).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", k.gvr.Resource, err)
		}
		return list.Items, nil
	}
	var items []unstructured.Unstructured
	for _, ns := range k.namespaces {
		list, err := c.dyn.Resource(k.gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s in %q: %w", k.gvr.Resource, ns, err)
		}
		items = append(items, list.Items...)
	}
	return items, nil
}
