package antrea

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// LeaveRequest asks a member to leave its ClusterSet.
type LeaveRequest struct {
	Set    string  `json:"set"`
	Leader Cluster `json:"leader"`
	Member Cluster `json:"member"`
	// Timeout bounds each wait; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// LeaveMember takes a member (the leader's own membership too) out of its
// ClusterSet: it deletes the member's ClusterSet and waits until the member
// controller has withdrawn from the leader (announcement, exports and
// imports gone on the leader, Gateway and ClusterInfoImports gone on the
// member), removing them itself when the controllers do not; then it
// removes the member controller, its configuration, the token copy and the
// gateway annotations Clusterwright made, and on the leader the member's
// ServiceAccount, RoleBinding and token. A member that never fully joined
// leaves the same way. Repeating it changes nothing.
func (a *Activities) LeaveMember(ctx context.Context, req LeaveRequest) error {
	if err := checkSet(req.Set); err != nil {
		return err
	}
	lead, err := a.connect(ctx, req.Leader)
	if err != nil {
		return classify(err)
	}
	member, err := a.connect(ctx, req.Member)
	if err != nil {
		return classify(err)
	}
	timeout := orDefault(req.Timeout, DefaultTimeout)
	memberSel := selector(labels(req.Set, PartMember, ""))
	if err := member.sweep(ctx, MemberNamespace, memberSel, []kind{clusterSetsKind}, timeout); err != nil {
		return classify(err)
	}
	if err := withdraw(ctx, lead, member, timeout); err != nil {
		return classify(err)
	}
	if err := member.sweep(ctx, MemberNamespace, memberSel, controllerKinds, timeout); err != nil {
		return classify(err)
	}
	if err := member.removeGateways(ctx, req.Set); err != nil {
		return classify(err)
	}
	access := selector(labels(req.Set, PartMemberAccess, req.Member.Name))
	return classify(lead.sweep(ctx, LeaderNamespace, access, []kind{roleBindingsKind, secretsKind, serviceAccountsKind}, timeout))
}

// traces are what a member's membership leaves in the clusters: on the
// leader its announcement, its exports and their imports; on the member
// its Gateway and ClusterInfoImports.
type traces struct {
	leader, member map[schema.GroupVersionResource][]string
}

func (t traces) empty() bool {
	for _, m := range []map[schema.GroupVersionResource][]string{t.leader, t.member} {
		for _, names := range m {
			if len(names) > 0 {
				return false
			}
		}
	}
	return true
}

func (t traces) String() string {
	var parts []string
	for _, side := range []struct {
		where string
		m     map[schema.GroupVersionResource][]string
	}{{"leader", t.leader}, {"member", t.member}} {
		for gvr, names := range side.m {
			for _, n := range names {
				parts = append(parts, side.where+" "+gvr.Resource+"/"+n)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// findTraces lists the traces of member's membership.
func findTraces(ctx context.Context, lead, member *clients) (traces, error) {
	id := member.cluster.Name
	t := traces{leader: map[schema.GroupVersionResource][]string{}, member: map[schema.GroupVersionResource][]string{}}
	mcas, err := lead.list(ctx, kind{memberClusterAnnounceGVR, true}, LeaderNamespace, "")
	if err != nil {
		return t, err
	}
	for _, o := range mcas {
		if o.GetName() == memberAnnouncePrefix+id || o.Object["clusterID"] == id {
			t.leader[memberClusterAnnounceGVR] = append(t.leader[memberClusterAnnounceGVR], o.GetName())
		}
	}
	exports, err := lead.list(ctx, kind{resourceExportGVR, true}, LeaderNamespace, "")
	if err != nil {
		return t, err
	}
	for _, o := range exports {
		if spec, _ := o.Object["spec"].(map[string]any); spec != nil && spec["clusterID"] == id {
			t.leader[resourceExportGVR] = append(t.leader[resourceExportGVR], o.GetName())
		}
	}
	imports, err := lead.list(ctx, kind{resourceImportGVR, true}, LeaderNamespace, "")
	if err != nil {
		return t, err
	}
	for _, o := range imports {
		if o.GetName() == clusterInfoName(id) {
			t.leader[resourceImportGVR] = append(t.leader[resourceImportGVR], o.GetName())
		}
	}
	for _, gvr := range []schema.GroupVersionResource{gatewayGVR, clusterInfoImportGVR} {
		items, err := member.list(ctx, kind{gvr, true}, MemberNamespace, "")
		if err != nil {
			return t, err
		}
		for _, o := range items {
			t.member[gvr] = append(t.member[gvr], o.GetName())
		}
	}
	return t, nil
}

// withdraw waits until the member controller has withdrawn the member from
// the leader, as it does when its ClusterSet goes. When it does not (it is
// not running, or does not get through), the traces are deleted here, and
// their finalizers dropped if the controllers do not release them.
func withdraw(ctx context.Context, lead, member *clients, timeout time.Duration) error {
	check := func(ctx context.Context) (bool, string, error) {
		t, err := findTraces(ctx, lead, member)
		if err != nil {
			return false, "", err
		}
		return t.empty(), fmt.Sprintf("waiting for %s to withdraw from the leader: %s left", member.cluster, t), nil
	}
	if member.controllerRunning(ctx) {
		_, err := poll(ctx, timeout, check)
		if err == nil {
			return nil
		}
		if err != errTimeout {
			return err
		}
	}
	t, err := findTraces(ctx, lead, member)
	if err != nil || t.empty() {
		return err
	}
	member.log.Warn("the member controller did not withdraw from the leader: removing its traces", "traces", t.String())
	for _, side := range []struct {
		c         *clients
		namespace string
		m         map[schema.GroupVersionResource][]string
	}{{lead, LeaderNamespace, t.leader}, {member, MemberNamespace, t.member}} {
		for gvr, names := range side.m {
			for _, n := range names {
				err := side.c.dyn.Resource(gvr).Namespace(side.namespace).Delete(ctx, n, metav1.DeleteOptions{})
				if err != nil && !apierrors.IsNotFound(err) {
					return fmt.Errorf("delete %s %s/%s in cluster %s: %w", gvr.Resource, side.namespace, n, side.c.cluster, err)
				}
			}
		}
	}
	// The leader controller releases its finalizers within a heartbeat or two.
	if _, err := poll(ctx, min(timeout, 30*time.Second), check); err == nil {
		return nil
	} else if err != errTimeout {
		return err
	}
	if t, err = findTraces(ctx, lead, member); err != nil {
		return err
	}
	for gvr, names := range t.leader {
		for _, n := range names {
			if err := lead.dropFinalizers(ctx, kind{gvr, true}, LeaderNamespace, n); err != nil {
				return err
			}
		}
	}
	for gvr, names := range t.member {
		for _, n := range names {
			if err := member.dropFinalizers(ctx, kind{gvr, true}, MemberNamespace, n); err != nil {
				return err
			}
		}
	}
	progress, err := poll(ctx, timeout, check)
	if err == errTimeout {
		return timedOut(ErrTypeCleanupIncomplete, progress)
	}
	return err
}

// controllerRunning reports whether the member controller has an available
// replica.
func (c *clients) controllerRunning(ctx context.Context) bool {
	d, err := c.kube.AppsV1().Deployments(MemberNamespace).Get(ctx, controllerName, metav1.GetOptions{})
	return err == nil && d.DeletionTimestamp == nil && d.Status.AvailableReplicas > 0
}

// withdrawAll deletes the announcements of members still on the leader and
// waits for the leader controller to release them (their exports go with
// them), dropping the finalizers when it does not.
func (c *clients) withdrawAll(ctx context.Context, timeout time.Duration) error {
	k := kind{memberClusterAnnounceGVR, true}
	items, err := c.list(ctx, k, LeaderNamespace, "")
	if err != nil || len(items) == 0 {
		return err
	}
	for _, o := range items {
		c.log.Warn("a member did not leave before the set is disbanded: removing its announcement", "announcement", o.GetName())
		err := c.resource(k, LeaderNamespace).Delete(ctx, o.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete MemberClusterAnnounce %s in cluster %s: %w", o.GetName(), c.cluster, err)
		}
	}
	_, err = poll(ctx, min(timeout, 30*time.Second), func(ctx context.Context) (bool, string, error) {
		items, err := c.list(ctx, k, LeaderNamespace, "")
		return len(items) == 0, "waiting for the leader to release the announcements", err
	})
	if err == errTimeout {
		return c.purge(ctx, k, LeaderNamespace)
	}
	return err
}
