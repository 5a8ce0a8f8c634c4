package antreamc

import (
	"context"
	"fmt"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// everything selects all objects.
var everything = labels.Everything()

// condition is a status condition of the multicluster kinds (ClusterSet,
// its clusterStatuses).
type condition struct {
	Type, Status, Reason, Message string
}

// conditionsValue renders conditions for an unstructured status, keeping
// the lastTransitionTime of a condition whose status did not change.
func conditionsValue(conds []condition, old []any) []any {
	was := map[string]map[string]any{}
	for _, o := range old {
		if m, ok := o.(map[string]any); ok {
			if t, _ := m["type"].(string); t != "" {
				was[t] = m
			}
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	out := make([]any, 0, len(conds))
	for _, c := range conds {
		m := map[string]any{"type": c.Type, "status": c.Status, "lastTransitionTime": now}
		if c.Reason != "" {
			m["reason"] = c.Reason
		}
		if c.Message != "" {
			m["message"] = c.Message
		}
		if o := was[c.Type]; o != nil && o["status"] == c.Status {
			if t, ok := o["lastTransitionTime"].(string); ok {
				m["lastTransitionTime"] = t
			}
		}
		out = append(out, m)
	}
	return out
}

// updateStatus writes status into obj's status subresource unless it is
// already there.
func updateStatus(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured, status map[string]any) error {
	if reflect.DeepEqual(obj.Object["status"], status) {
		return nil
	}
	obj = obj.DeepCopy()
	obj.Object["status"] = status
	if _, err := ri.UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// newObject returns an object of the multicluster group with its type,
// name and namespace set.
func newObject(gvr schema.GroupVersionResource, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(gvr.GroupVersion().String())
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// upsert creates want, or updates the named top-level fields (e.g.
// "spec") of the existing object to want's where they differ. It returns
// whether it wrote anything.
func upsert(ctx context.Context, ri dynamic.ResourceInterface, want *unstructured.Unstructured, fields ...string) (bool, error) {
	have, err := ri.Get(ctx, want.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := ri.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return false, fmt.Errorf("create %s %s/%s: %w", want.GetKind(), want.GetNamespace(), want.GetName(), err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %s %s/%s: %w", want.GetKind(), want.GetNamespace(), want.GetName(), err)
	}
	same := true
	for _, f := range fields {
		if !reflect.DeepEqual(have.Object[f], want.Object[f]) {
			same = false
			if v, ok := want.Object[f]; ok {
				have.Object[f] = v
			} else {
				delete(have.Object, f)
			}
		}
	}
	if same {
		return false, nil
	}
	if _, err := ri.Update(ctx, have, metav1.UpdateOptions{}); err != nil {
		return false, fmt.Errorf("update %s %s/%s: %w", want.GetKind(), want.GetNamespace(), want.GetName(), err)
	}
	return true, nil
}

// deleteIfExists deletes the named object; a missing one is no error.
func deleteIfExists(ctx context.Context, ri dynamic.ResourceInterface, kind, namespace, name string) error {
	err := ri.Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s %s/%s: %w", kind, namespace, name, err)
	}
	return nil
}

// str reads a string field of an unstructured object; "" if absent.
func str(obj map[string]any, path ...string) string {
	s, _, _ := unstructured.NestedString(obj, path...)
	return s
}

// statusOf returns an object's status, or an empty map.
func statusOf(obj map[string]any) map[string]any {
	if s, ok := obj["status"].(map[string]any); ok {
		return s
	}
	return map[string]any{}
}

// oldClusterConditions returns the conditions that status.clusterStatuses
// holds for clusterID, to keep their transition times.
func oldClusterConditions(status map[string]any, clusterID string) []any {
	list, _ := status["clusterStatuses"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["clusterID"] == clusterID {
			conds, _ := m["conditions"].([]any)
			return conds
		}
	}
	return nil
}
