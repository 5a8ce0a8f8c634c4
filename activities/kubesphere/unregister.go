package kubesphere

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
)

// UnregisterMember removes a member from a KubeSphere host: it deletes the
// member's Cluster on the host (when Clusterwright made it) and waits until
// it is gone, KubeSphere's finalizer having cleaned up with the member's
// credentials; then, unless req.MemberGone, it deletes the member's
// ServiceAccount, ClusterRoleBinding and token Secret for the host, leaving
// the member as it was before RegisterMember. Repeating it changes nothing.
func (a *Activities) UnregisterMember(ctx context.Context, req MemberRequest) error {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	if err := req.check(); err != nil {
		return err
	}
	timeout := orDefault(req.Timeout, DefaultTimeout)
	host, err := a.connect(ctx, req.Host)
	if err != nil {
		return classify(err)
	}
	if err := host.deleteCluster(ctx, req.Member.Name, timeout); err != nil {
		return classify(err)
	}
	if req.MemberGone {
		return nil
	}
	member, err := a.connect(ctx, req.Member)
	if err != nil {
		return classify(err)
	}
	return classify(member.deleteAccess(ctx, req.Host.Name, timeout))
}

// deleteCluster deletes the host's Cluster of member when it is
// Clusterwright's and waits until it is gone. A host that does not serve
// Clusters (KubeSphere uninstalled) has none.
func (host *clients) deleteCluster(ctx context.Context, member string, timeout time.Duration) error {
	resource := host.dyn.Resource(clusterGVR)
	object := clusterObject(member, host.cluster)
	o, err := resource.Get(ctx, member, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return sensitiveError("read", object, err)
	}
	if !ours(o, member) {
		host.log.Warn("left a KubeSphere Cluster that Clusterwright did not make", "member", member)
		return nil
	}
	if o.GetDeletionTimestamp() == nil {
		uid := o.GetUID()
		err := resource.Delete(ctx, member, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return sensitiveError("delete", object, err)
		}
		host.log.Info("deleted member's KubeSphere Cluster", "member", member)
	}
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		o, err := resource.Get(ctx, member, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", sensitiveError("read", object, err)
		}
		return false, fmt.Sprintf("waiting for %s to go (finalizers %s)", object, strings.Join(o.GetFinalizers(), ", ")), nil
	})
	if err == errTimeout {
		return timedOut(ErrTypeCleanupIncomplete, progress)
	}
	return err
}

// accessKinds are the kinds of a member's objects for a host, in the order
// they go: the binding first, so that the ServiceAccount loses its rights
// before anything else.
var accessKinds = []struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}{
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, true},
	{schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, true},
}

// deleteAccess deletes the member's ClusterRoleBinding, token Secret and
// ServiceAccount for host (by their labels) and waits until they are gone.
func (c *clients) deleteAccess(ctx context.Context, host string, timeout time.Duration) error {
	sel := metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: memberLabels(host)})
	resource := func(gvr schema.GroupVersionResource, namespaced bool) dynamic.ResourceInterface {
		if namespaced {
			return c.dyn.Resource(gvr).Namespace(MemberNamespace)
		}
		return c.dyn.Resource(gvr)
	}
	// left lists what is left, as resource/name, or deletes it.
	left := func(ctx context.Context, del bool) ([]string, error) {
		var out []string
		for _, k := range accessKinds {
			r := resource(k.gvr, k.namespaced)
			list, err := r.List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				return nil, fmt.Errorf("list %s in cluster %s: %w", k.gvr.Resource, c.cluster, err)
			}
			for _, o := range list.Items {
				out = append(out, k.gvr.Resource+"/"+o.GetName())
				if !del || o.GetDeletionTimestamp() != nil {
					continue
				}
				if err := r.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return nil, fmt.Errorf("delete %s %s in cluster %s: %w", k.gvr.Resource, o.GetName(), c.cluster, err)
				}
				c.log.Info("deleted", "kind", k.gvr.Resource, "name", o.GetName(), "kubesphere_host", host)
			}
		}
		return out, nil
	}
	if _, err := left(ctx, true); err != nil {
		return err
	}
	progress, err := poll(ctx, timeout, func(ctx context.Context) (bool, string, error) {
		names, err := left(ctx, false)
		if err != nil {
			return false, "", err
		}
		return len(names) == 0, fmt.Sprintf("waiting for %s to go in cluster %s", strings.Join(names, ", "), c.cluster), nil
	})
	if err == errTimeout {
		return timedOut(ErrTypeCleanupIncomplete, progress)
	}
	return err
}
