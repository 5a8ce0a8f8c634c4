package antreamc

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// decodeRaw decodes an admitted object; nil if absent.
func decodeRaw(raw runtime.RawExtension) map[string]any {
	if len(raw.Raw) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw.Raw, &m); err != nil {
		return nil
	}
	return m
}

// serviceAccountOf splits a ServiceAccount user name
// (system:serviceaccount:<namespace>:<name>).
func serviceAccountOf(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// callerClusterID returns the ClusterID bound to the caller's ServiceAccount
// in the leader namespace (its multicluster.antrea.io/cluster-id
// annotation); bound is false when the SA has no such annotation.
func (w *webhook) callerClusterID(ctx context.Context, saName string) (id string, bound bool, v *verdict) {
	sa, err := w.c.kube.CoreV1().ServiceAccounts(w.ns).Get(ctx, saName, metav1.GetOptions{})
	if err != nil {
		d := deny("ServiceAccount %s/%s: %v", w.ns, saName, err)
		return "", false, &d
	}
	id, bound = sa.Annotations[clusterIDAnnotation]
	return id, bound, nil
}

// validateAnnounce is the leader's MemberClusterAnnounce webhook: a member
// announces only the ClusterID its ServiceAccount is bound to, under the
// name derived from it, for this ClusterSet and leader, with a ClusterID
// that forms no dash-prefix pair with another cluster of the set.
func (w *webhook) validateAnnounce(ctx context.Context, req *admissionv1.AdmissionRequest) verdict {
	obj := decodeRaw(req.Object)
	if req.Operation == admissionv1.Delete {
		obj = decodeRaw(req.OldObject)
	}
	if obj == nil {
		return deny("no MemberClusterAnnounce in the request")
	}
	user := req.UserInfo.Username
	saNS, saName, isSA := serviceAccountOf(user)
	switch {
	case user == w.self && req.Operation != admissionv1.Create:
		// The controller itself: finalizers and clean-up.
	case !isSA && req.Operation == admissionv1.Delete:
		return allow
	case !isSA:
		return deny("user %q is not a ServiceAccount", user)
	case saNS != w.ns && req.Operation == admissionv1.Delete:
		return allow
	case saNS != w.ns:
		return deny("ServiceAccount %q is not in Namespace %q", user, w.ns)
	default:
		id, bound, v := w.callerClusterID(ctx, saName)
		if v != nil {
			return *v
		}
		if !bound || id != str(obj, "clusterID") {
			return deny("ClusterID %q is not permitted for ServiceAccount %q (expected %s annotation to match)",
				str(obj, "clusterID"), saName, clusterIDAnnotation)
		}
	}
	switch req.Operation {
	case admissionv1.Create:
		return w.validateNewAnnounce(ctx, obj)
	case admissionv1.Update:
		old := decodeRaw(req.OldObject)
		for _, f := range []string{"clusterSetID", "leaderClusterID", "clusterID"} {
			if str(obj, f) != str(old, f) {
				return deny("%s cannot be changed", f)
			}
		}
	}
	return allow
}

// validateNewAnnounce checks a new MemberClusterAnnounce against the
// leader's ClusterSet and the members already announced.
func (w *webhook) validateNewAnnounce(ctx context.Context, obj map[string]any) verdict {
	cs, err := w.c.readClusterSet(ctx, w.ns)
	if err != nil {
		return deny("%v", err)
	}
	if cs == nil {
		return deny("no ClusterSet found in Namespace %s", w.ns)
	}
	id := str(obj, "clusterID")
	switch {
	case cs.id != str(obj, "clusterSetID"):
		return deny("Unknown ClusterSet ID")
	case cs.leaderID != str(obj, "leaderClusterID"):
		return deny("Leader cluster ID in the MemberClusterAnnounce does not match that in the ClusterSet")
	case str(obj, "metadata", "name") != memberAnnouncePrefix+id:
		return deny("MemberClusterAnnounce name must be %q", memberAnnouncePrefix+id)
	}
	// The leader cluster may announce itself: it is a member of its own
	// ClusterSet too. Any other ClusterID must not pair with the leader's.
	var others []string
	if id != cs.clusterID {
		others = append(others, cs.clusterID)
	}
	list, err := w.c.dyn.Resource(memberClusterAnnounceGVR).Namespace(w.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return deny("list MemberClusterAnnounces: %v", err)
	}
	for _, mca := range list.Items {
		others = append(others, str(mca.Object, "clusterID"))
	}
	for _, other := range others {
		if other == id {
			return deny("ClusterID %q is already taken in ClusterSet %s", id, cs.id)
		}
		if dashPrefixPair(id, other) {
			return deny("ClusterID %q and ClusterID %q of ClusterSet %s form a dash-prefix pair; their object names could collide",
				id, other, cs.id)
		}
	}
	return allow
}

// memberExportKinds are the kinds a member may export.
var memberExportKinds = []string{"Service", "Endpoints", clusterInfoKind, "LabelIdentity"}

// validateExport is the leader's ResourceExport webhook for members: the
// export carries the caller's ClusterID (spec, label, name, ClusterInfo)
// and, when created, the export finalizer; a member may not touch another
// member's exports. Other callers are trusted, as in the real webhook.
func (w *webhook) validateExport(ctx context.Context, req *admissionv1.AdmissionRequest) verdict {
	saNS, saName, isSA := serviceAccountOf(req.UserInfo.Username)
	if !isSA || saNS != w.ns || req.UserInfo.Username == w.self {
		return allow
	}
	id, bound, v := w.callerClusterID(ctx, saName)
	if v != nil {
		return *v
	}
	if !bound {
		return allow
	}
	if id == "" {
		return deny("ClusterID annotation on ServiceAccount is empty")
	}
	if req.Operation != admissionv1.Create {
		if str(decodeRaw(req.OldObject), "spec", "clusterID") != id {
			return deny("Member cluster is not authorized to modify or delete ResourceExports owned by another member")
		}
	}
	if req.Operation == admissionv1.Delete {
		return allow
	}
	obj := decodeRaw(req.Object)
	kind := str(obj, "spec", "kind")
	switch {
	case !slices.Contains(memberExportKinds, kind):
		return deny("Member cluster is not authorized to export this kind")
	case str(obj, "spec", "clusterID") != id:
		return deny("Member cluster is not authorized to spoof ClusterID in ResourceExport")
	case str(obj, "metadata", "labels", labelSourceClusterID) != id:
		return deny("Member cluster is not authorized to spoof SourceClusterID in ResourceExport")
	case kind == clusterInfoKind && str(obj, "metadata", "name") != clusterInfoName(id):
		return deny("Invalid ResourceExport name for this member cluster")
	case kind == clusterInfoKind && str(obj, "spec", "clusterInfo", "clusterID") != id:
		return deny("Member cluster is not authorized to spoof ClusterInfo.ClusterID")
	}
	if req.Operation == admissionv1.Create && kind != "LabelIdentity" {
		fins, _, _ := unstructured.NestedStringSlice(obj, "metadata", "finalizers")
		if !slices.Contains(fins, exportFinalizer) {
			return deny("Member cluster is not authorized to create a ResourceExport without the ResourceExport finalizer")
		}
	}
	return allow
}
