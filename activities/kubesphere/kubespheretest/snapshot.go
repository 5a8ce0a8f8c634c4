// Package kubespheretest records what registering a KubeSphere member may
// touch on a cluster (a host or a member), for tests that check that
// unregistering leaves each cluster exactly as it was.
package kubespheretest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/clusterwright/clusterwright/activities/kubesphere"
)

// Kind is a kind of object registration may touch, and where to look for it.
type Kind struct {
	GVR schema.GroupVersionResource
	// Namespace is where to look; "" for a cluster-scoped kind.
	Namespace string
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// Kinds are the objects registration may touch. A kind the cluster does not
// serve (KubeSphere's Clusters on a member) has no objects.
var Kinds = []Kind{
	{gvr("", "v1", "serviceaccounts"), kubesphere.MemberNamespace},
	{gvr("", "v1", "secrets"), kubesphere.MemberNamespace},
	{gvr("rbac.authorization.k8s.io", "v1", "clusterrolebindings"), ""},
	{gvr("cluster.kubesphere.io", "v1alpha1", "clusters"), ""},
}

// Snapshot is a cluster's objects registration may touch, by
// "<resource> <ns>/<name>": each one's labels, annotations and spec, and a
// digest of a Secret's data.
type Snapshot map[string]string

// Take records a cluster's Snapshot.
func Take(ctx context.Context, dyn dynamic.Interface) (Snapshot, error) {
	out := Snapshot{}
	for _, k := range Kinds {
		list, err := dyn.Resource(k.GVR).Namespace(k.Namespace).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", k.GVR.Resource, err)
		}
		for _, o := range list.Items {
			v := map[string]any{"labels": o.GetLabels(), "annotations": o.GetAnnotations()}
			for _, field := range []string{"spec", "roleRef", "subjects", "data"} {
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

// Diff lists every object added, removed or changed since before; none when
// the two are the same.
func (s Snapshot) Diff(before Snapshot) []string {
	all := maps.Clone(before)
	maps.Copy(all, s)
	keys := slices.Sorted(maps.Keys(all))
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
