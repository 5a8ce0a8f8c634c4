package antrea

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// fieldManager owns the fields Clusterwright applies (server-side apply):
// applying the same object again writes nothing.
const fieldManager = "clusterwright"

// applyOptions take ownership of the fields applied, from kubectl or an
// earlier hand-made setup.
var applyOptions = metav1.ApplyOptions{FieldManager: fieldManager, Force: true}

// kind is a kind of object the activities make, for removing them by label.
type kind struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

var (
	namespacesKind          = kind{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, false}
	serviceAccountsKind     = kind{schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, true}
	configMapsKind          = kind{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, true}
	secretsKind             = kind{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, true}
	deploymentsKind         = kind{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, true}
	rolesKind               = kind{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, true}
	roleBindingsKind        = kind{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, true}
	clusterRolesKind        = kind{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, false}
	clusterRoleBindingsKind = kind{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, false}
	clusterSetsKind         = kind{clusterSetGVR, true}
)

// controllerKinds are the kinds of a controller's objects, the Deployment
// first so that the controller stops before its permissions go.
var controllerKinds = []kind{
	clusterSetsKind, deploymentsKind, configMapsKind, secretsKind, serviceAccountsKind,
	roleBindingsKind, rolesKind, clusterRoleBindingsKind, clusterRolesKind,
}

// applyCR applies a multicluster.crd.antrea.io object.
func (c *clients) applyCR(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	_, err := c.dyn.Resource(gvr).Namespace(obj.GetNamespace()).Apply(ctx, obj.GetName(), obj, applyOptions)
	if apierrors.IsNotFound(err) {
		// Apply creates what is missing: the kind itself is.
		return nonRetryable(ErrTypeNoMulticlusterCRDs, "cluster %s does not serve %s %s: Antrea's multi-cluster CRDs are not installed",
			c.cluster, gvr.GroupResource(), gvr.Version)
	}
	if err != nil {
		return fmt.Errorf("apply %s %s/%s in cluster %s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), c.cluster, err)
	}
	return nil
}

// selector selects by the given labels.
func selector(l map[string]string) string {
	return metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: l})
}

// sweep deletes the objects of kinds that match sel, in namespace for the
// namespaced kinds, and waits until they are gone (namespaces take their
// time). Objects already gone are fine.
func (c *clients) sweep(ctx context.Context, namespace, sel string, kinds []kind, timeout time.Duration) error {
	background := metav1.DeletePropagationBackground
	for _, k := range kinds {
		items, err := c.list(ctx, k, namespace, sel)
		if err != nil {
			return err
		}
		for _, o := range items {
			err := c.resource(k, namespace).Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &background})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete %s %s in cluster %s: %w", k.gvr.Resource, o.GetName(), c.cluster, err)
			}
			c.log.Info("deleted", "kind", k.gvr.Resource, "namespace", o.GetNamespace(), "name", o.GetName())
		}
	}
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		var left []string
		for _, k := range kinds {
			items, err := c.list(ctx, k, namespace, sel)
			if err != nil {
				return false, "", err
			}
			for _, o := range items {
				left = append(left, k.gvr.Resource+"/"+o.GetName())
			}
		}
		return len(left) == 0, fmt.Sprintf("waiting for %s to go in cluster %s", strings.Join(left, ", "), c.cluster), nil
	})
	if err == errTimeout {
		return timedOut(ErrTypeCleanupIncomplete, progress)
	}
	return err
}

// list lists the objects of a kind matching sel; a kind the cluster does
// not serve has none.
func (c *clients) list(ctx context.Context, k kind, namespace, sel string) ([]unstructured.Unstructured, error) {
	list, err := c.resource(k, namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s in cluster %s: %w", k.gvr.Resource, c.cluster, err)
	}
	return list.Items, nil
}

// resource is the client of a kind, in namespace when it is namespaced.
func (c *clients) resource(k kind, namespace string) dynamic.ResourceInterface {
	if k.namespaced {
		return c.dyn.Resource(k.gvr).Namespace(namespace)
	}
	return c.dyn.Resource(k.gvr)
}

// dropFinalizers removes every finalizer of an object, for objects whose
// controller is gone; a missing object is fine.
func (c *clients) dropFinalizers(ctx context.Context, k kind, namespace, name string) error {
	_, err := c.resource(k, namespace).Patch(ctx, name, types.MergePatchType,
		[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{FieldManager: fieldManager})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove finalizers of %s %s/%s in cluster %s: %w", k.gvr.Resource, namespace, name, c.cluster, err)
	}
	return nil
}
