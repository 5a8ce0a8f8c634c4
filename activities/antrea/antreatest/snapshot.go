// Package antreatest records what a ClusterSet may touch on a cluster, for tests that
// check that leaving or disbanding a set leaves each cluster exactly as it was.
package antreatest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/clusterwright/clusterwright/activities/antrea"
)

// Kind is a kind of object a ClusterSet may touch, and where to look for it.
type Kind struct {
	GVR schema.GroupVersionResource
	// Namespaces are where to look; nil means cluster-scoped, "" every namespace.
	Namespaces []string
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

var mcNamespaces = []string{antrea.MemberNamespace, antrea.LeaderNamespace}

// Kinds are the objects a ClusterSet may touch, Nodes last.
var Kinds = []Kind{
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

// MulticlusterKinds are Antrea's multicluster kinds, in every namespace.
func MulticlusterKinds() []Kind {
	var out []Kind
	for _, r := range []string{"clustersets", "memberclusterannounces", "resourceexports", "resourceimports", "gateways", "clusterinfoimports"} {
		version := "v1alpha1"
		if r == "clustersets" {
			version = "v1alpha2"
		}
		out = append(out, Kind{gvr("multicluster.crd.antrea.io", version, r), []string{""}})
	}
	return out
}

// Snapshot is a cluster's objects a ClusterSet may touch, by "<resource> <ns>/<name>":
// each one's labels and annotations, and a digest of a ConfigMap's or Secret's data
// (Nodes: annotations only, as their status changes all the time).
type Snapshot map[string]string

// Take records a cluster's Snapshot.
func Take(ctx context.Context, dyn dynamic.Interface) (Snapshot, error) {
	out := Snapshot{}
	for _, k := range append(slices.Clone(Kinds), MulticlusterKinds()...) {
		items, err := List(ctx, dyn, k, "")
		if err != nil {
			return nil, err
		}
		for _, o := range items {
			v := map[string]any{"annotations": o.GetAnnotations()}
			if k.GVR.Resource != "nodes" {
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
			out[k.GVR.Resource+" "+o.GetNamespace()+"/"+o.GetName()] = string(b)
		}
	}
	return out, nil
}

// Diff lists every object added, removed or changed since before; none when the two are
// the same.
func (s Snapshot) Diff(before Snapshot) []string {
	keys := slices.Sorted(maps.Keys(maps.Collect(func(yield func(string, bool) bool) {
		for k := range before {
			yield(k, true)
		}
		for k := range s {
			yield(k, true)
		}
	})))
	var out []string
	for _, k := range keys {
		b, inBefore := before[k]
		a, inAfter := s[k]
		switch {
		case !inAfter:
			out = append(out, k+" is gone")
		case !inBefore:
			out = append(out, k+" was added: "+a)
		case a != b:
			out = append(out, fmt.Sprintf("%s changed:\n  before %s\n  after  %s", k, b, a))
		}
	}
	return out
}

// List lists the objects of a kind matching the label selector sel in its namespaces.
func List(ctx context.Context, dyn dynamic.Interface, k Kind, sel string) ([]unstructured.Unstructured, error) {
	opts := metav1.ListOptions{LabelSelector: sel}
	if k.Namespaces == nil {
		list, err := dyn.Resource(k.GVR).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", k.GVR.Resource, err)
		}
		return list.Items, nil
	}
	var items []unstructured.Unstructured
	for _, ns := range k.Namespaces {
		list, err := dyn.Resource(k.GVR).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s in %q: %w", k.GVR.Resource, ns, err)
		}
		items = append(items, list.Items...)
	}
	return items, nil
}
