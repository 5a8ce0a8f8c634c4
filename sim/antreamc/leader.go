package antreamc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// leader is the leader controller of one namespace (antrea-multicluster as
// antrea-multicluster-leader.yml deploys it).
type leader struct {
	c   *Controller
	ns  string
	log *slog.Logger

	// webhook is the admission webhook the leader serves; started lazily.
	webhook *webhook
	// members are the members that announced themselves, by ClusterID.
	members map[string]*memberRecord
}

// memberRecord is what the leader knows of a member's heartbeats.
type memberRecord struct {
	// version is the MemberClusterAnnounce's resourceVersion last seen;
	// every heartbeat changes it.
	version  string
	lastSeen time.Time
	// connected is the last reported state, to log changes.
	connected bool
}

func newLeader(c *Controller, ns string, log *slog.Logger) *leader {
	return &leader{c: c, ns: ns, log: log, members: map[string]*memberRecord{}}
}

// step is one review: make sure the webhook serves, track the members'
// heartbeats, turn ClusterInfo exports into imports, and fill the
// ClusterSet's status.
func (l *leader) step(ctx context.Context) {
	if l.webhook == nil {
		wh, err := startWebhook(ctx, l.c, l.ns, l.log)
		if err != nil {
			l.log.Error("admission webhook", "err", err)
			return // without its webhook the real leader does not start either
		}
		l.webhook = wh
		go func() {
			<-ctx.Done()
			wh.close()
		}()
	}
	cs, err := l.c.readClusterSet(ctx, l.ns)
	if err != nil {
		l.log.Warn("read ClusterSet", "err", err)
		return
	}
	if err := l.trackMembers(ctx); err != nil {
		l.log.Warn("MemberClusterAnnounces", "err", err)
	}
	if err := l.syncClusterInfos(ctx); err != nil {
		l.log.Warn("ClusterInfo exports", "err", err)
	}
	if cs == nil {
		return
	}
	if err := l.writeStatus(ctx, cs); err != nil {
		l.log.Warn("ClusterSet status", "err", err)
	}
}

// cleanup removes the webhook registration when the leader's Deployment is
// gone, as deleting the release YAML would.
func (l *leader) cleanup(ctx context.Context) {
	if err := unregisterWebhook(ctx, l.c, l.ns); err != nil {
		l.log.Warn("remove webhook configuration", "err", err)
	}
}

// trackMembers reads the MemberClusterAnnounces: a new resourceVersion is
// a heartbeat. It adds the leader's finalizer to each and, when one is
// deleted, removes the member's exports and then the finalizer.
func (l *leader) trackMembers(ctx context.Context) error {
	announces := l.c.dyn.Resource(memberClusterAnnounceGVR).Namespace(l.ns)
	list, err := announces.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list MemberClusterAnnounces in %s: %w", l.ns, err)
	}
	seen := map[string]bool{}
	var errs []error
	now := time.Now()
	for i := range list.Items {
		mca := &list.Items[i]
		id := str(mca.Object, "clusterID")
		if id == "" {
			continue
		}
		finalizer := announceFinalizer + "/" + id
		if mca.GetDeletionTimestamp() != nil {
			errs = append(errs, l.removeMember(ctx, mca, id, finalizer))
			continue
		}
		seen[id] = true
		rec := l.members[id]
		if rec == nil {
			rec = &memberRecord{lastSeen: now}
			l.members[id] = rec
			l.log.Info("added member cluster", "cluster", id)
		}
		if rec.version != mca.GetResourceVersion() {
			rec.version, rec.lastSeen = mca.GetResourceVersion(), now
		}
		if !slices.Contains(mca.GetFinalizers(), finalizer) {
			mca.SetFinalizers(append(mca.GetFinalizers(), finalizer))
			updated, err := announces.Update(ctx, mca, metav1.UpdateOptions{})
			if err != nil {
				errs = append(errs, fmt.Errorf("add finalizer to MemberClusterAnnounce %s: %w", mca.GetName(), err))
			} else {
				rec.version = updated.GetResourceVersion() // our own update is no heartbeat
			}
		}
	}
	for id := range l.members {
		if !seen[id] {
			delete(l.members, id)
			l.log.Info("removed member cluster", "cluster", id)
		}
	}
	return errors.Join(errs...)
}

// removeMember deletes the exports of a member whose MemberClusterAnnounce
// is being deleted, then releases the announce.
func (l *leader) removeMember(ctx context.Context, mca *unstructured.Unstructured, id, finalizer string) error {
	exports := l.c.dyn.Resource(resourceExportGVR).Namespace(l.ns)
	list, err := exports.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list ResourceExports in %s: %w", l.ns, err)
	}
	for _, re := range list.Items {
		if str(re.Object, "spec", "clusterID") == id && re.GetDeletionTimestamp() == nil {
			if err := deleteIfExists(ctx, exports, "ResourceExport", l.ns, re.GetName()); err != nil {
				return err
			}
		}
	}
	if !slices.Contains(mca.GetFinalizers(), finalizer) {
		return nil
	}
	mca.SetFinalizers(slices.DeleteFunc(mca.GetFinalizers(), func(f string) bool { return f == finalizer }))
	if _, err := l.c.dyn.Resource(memberClusterAnnounceGVR).Namespace(l.ns).Update(ctx, mca, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("remove finalizer of MemberClusterAnnounce %s: %w", mca.GetName(), err)
	}
	return nil
}

// syncClusterInfos turns each ClusterInfo ResourceExport into the
// ResourceImport of the same name, deletes the import of an export being
// deleted (then releases the export) and the imports left without export.
func (l *leader) syncClusterInfos(ctx context.Context) error {
	exports := l.c.dyn.Resource(resourceExportGVR).Namespace(l.ns)
	imports := l.c.dyn.Resource(resourceImportGVR).Namespace(l.ns)
	list, err := exports.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list ResourceExports in %s: %w", l.ns, err)
	}
	live := map[string]bool{}
	var errs []error
	for i := range list.Items {
		re := &list.Items[i]
		if str(re.Object, "spec", "kind") != clusterInfoKind {
			continue
		}
		if re.GetDeletionTimestamp() != nil {
			errs = append(errs, l.releaseExport(ctx, re))
			continue
		}
		live[re.GetName()] = true
		info, _, _ := unstructured.NestedMap(re.Object, "spec", "clusterInfo")
		ri := newObject(resourceImportGVR, "ResourceImport", l.ns, re.GetName())
		ri.Object["spec"] = map[string]any{
			"kind": clusterInfoKind, "name": re.GetName(), "namespace": l.ns, "clusterInfo": info,
		}
		if written, err := upsert(ctx, imports, ri, "spec"); err != nil {
			errs = append(errs, err)
		} else if written {
			l.log.Info("ClusterInfo imported for the members", "resourceimport", re.GetName())
		}
	}
	have, err := imports.List(ctx, metav1.ListOptions{})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list ResourceImports in %s: %w", l.ns, err))...)
	}
	for _, ri := range have.Items {
		if str(ri.Object, "spec", "kind") == clusterInfoKind && !live[ri.GetName()] {
			errs = append(errs, deleteIfExists(ctx, imports, "ResourceImport", l.ns, ri.GetName()))
		}
	}
	return errors.Join(errs...)
}

// releaseExport deletes the import of an export being deleted and removes
// the export's finalizers.
func (l *leader) releaseExport(ctx context.Context, re *unstructured.Unstructured) error {
	if err := deleteIfExists(ctx, l.c.dyn.Resource(resourceImportGVR).Namespace(l.ns), "ResourceImport", l.ns, re.GetName()); err != nil {
		return err
	}
	fins := slices.DeleteFunc(slices.Clone(re.GetFinalizers()), func(f string) bool {
		return f == exportFinalizer || f == "resourceexport.finalizers.antrea.io"
	})
	if len(fins) == len(re.GetFinalizers()) {
		return nil
	}
	re.SetFinalizers(fins)
	if _, err := l.c.dyn.Resource(resourceExportGVR).Namespace(l.ns).Update(ctx, re, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("remove finalizer of ResourceExport %s: %w", re.GetName(), err)
	}
	return nil
}

// writeStatus fills the leader's ClusterSet status as the real leader does:
// totalClusters is the number of members that announced themselves,
// readyClusters those with a heartbeat within the connection timeout; Ready
// is True when all are ready.
func (l *leader) writeStatus(ctx context.Context, cs *clusterSet) error {
	old := statusOf(cs.obj.Object)
	oldConds, _ := old["conditions"].([]any)
	if p := cs.leaderProblem(); p != "" {
		status := map[string]any{
			"observedGeneration": cs.obj.GetGeneration(),
			"totalClusters":      int64(0),
			"readyClusters":      int64(0),
			"conditions": conditionsValue([]condition{{
				Type: "Ready", Status: "False", Reason: "InvalidConfiguration", Message: p,
			}}, oldConds),
		}
		return updateStatus(ctx, l.c.dyn.Resource(clusterSetGVR).Namespace(l.ns), cs.obj, status)
	}
	ids := make([]string, 0, len(l.members))
	for id := range l.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ready := 0
	statuses := make([]any, 0, len(ids))
	for _, id := range ids {
		rec := l.members[id]
		connected := time.Since(rec.lastSeen) <= l.c.opts.ConnectionTimeout
		conds := []condition{
			{Type: "Ready", Status: "True", Reason: "Connected", Message: "Member Connected"},
			{Type: "ClusterConnected", Status: "True", Reason: "Connected", Message: "Member Connected"},
		}
		if connected {
			ready++
		} else {
			msg := "No MemberClusterAnnounce update after " + rec.lastSeen.UTC().Format(time.UnixDate)
			conds = []condition{
				{Type: "Ready", Status: "False", Reason: "Disconnected", Message: msg},
				{Type: "ClusterConnected", Status: "False", Reason: "Disconnected", Message: msg},
			}
		}
		if connected != rec.connected {
			rec.connected = connected
			l.log.Info("member cluster "+map[bool]string{true: "connected", false: "disconnected"}[connected], "cluster", id)
		}
		statuses = append(statuses, map[string]any{
			"clusterID":  id,
			"conditions": conditionsValue(conds, oldClusterConditions(old, id)),
		})
	}
	overall := condition{Type: "Ready", Status: "True"}
	if ready != len(ids) {
		overall = condition{Type: "Ready", Status: "False", Reason: "NoReadyCluster",
			Message: fmt.Sprintf("%d of %d member clusters are ready: %s not", ready, len(ids), strings.Join(notReady(statuses), ", "))}
	}
	status := map[string]any{
		"observedGeneration": cs.obj.GetGeneration(),
		"totalClusters":      int64(len(ids)),
		"readyClusters":      int64(ready),
		"conditions":         conditionsValue([]condition{overall}, oldConds),
		"clusterStatuses":    statuses,
	}
	return updateStatus(ctx, l.c.dyn.Resource(clusterSetGVR).Namespace(l.ns), cs.obj, status)
}

// notReady lists the ClusterIDs of clusterStatuses whose Ready is not True.
func notReady(statuses []any) []string {
	var out []string
	for _, s := range statuses {
		m := s.(map[string]any)
		for _, c := range m["conditions"].([]any) {
			cm := c.(map[string]any)
			if cm["type"] == "Ready" && cm["status"] != "True" {
				out = append(out, m["clusterID"].(string))
			}
		}
	}
	return out
}
