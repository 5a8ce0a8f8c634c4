package antrea

import "k8s.io/apimachinery/pkg/runtime/schema"

// The kinds of multicluster.crd.antrea.io the activities read and write
// (antrea.io/antrea cannot be downloaded: dynamic client and GVRs).
var (
	clusterSetGVR            = mcGVR("v1alpha2", "clustersets")
	memberClusterAnnounceGVR = mcGVR("v1alpha1", "memberclusterannounces")
	resourceExportGVR        = mcGVR("v1alpha1", "resourceexports")
	resourceImportGVR        = mcGVR("v1alpha1", "resourceimports")
	gatewayGVR               = mcGVR("v1alpha1", "gateways")
	clusterInfoImportGVR     = mcGVR("v1alpha1", "clusterinfoimports")
)

func mcGVR(version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: version, Resource: resource}
}

// Names of Antrea Multi-cluster (the release YAMLs antrea-multicluster-leader.yml
// and antrea-multicluster-member.yml, and the ClusterSet procedure).
const (
	// LeaderNamespace is the leader controller's namespace and the
	// ClusterSet's namespace on the leader.
	LeaderNamespace = "antrea-multicluster"
	// MemberNamespace is the member controller's namespace and the
	// ClusterSet's namespace on each member.
	MemberNamespace = "kube-system"

	controllerName      = "antrea-mc-controller"
	controllerConfigMap = "antrea-mc-controller-config"
	controllerConfigKey = "controller_manager_config.yaml"
	// leaderControllerRole and its binding let the leader controller manage
	// its namespace.
	leaderControllerRole        = "antrea-mc-controller-role"
	leaderControllerRoleBinding = "antrea-mc-controller-rolebinding"
	// memberClusterRole is the Role each member's ServiceAccount on the
	// leader is bound to.
	memberClusterRole = "antrea-mc-member-cluster-role"
	// memberControllerClusterRole (and its binding) let the member
	// controller read and write what it needs across the cluster.
	memberControllerClusterRole = "antrea-mc-member-controller"

	// ControllerImage is the multi-cluster controller's image, without
	// registry (Docker Hub by default).
	ControllerImage = "antrea/antrea-mc-controller:v2.7.0"

	roleLeader = "leader"
	roleMember = "member"

	// ClusterIDAnnotation binds a member's ServiceAccount on the leader to
	// its ClusterID.
	ClusterIDAnnotation = "multicluster.antrea.io/cluster-id"
	// GatewayAnnotation marks a Node as a gateway candidate.
	GatewayAnnotation = "multicluster.antrea.io/gateway"
	// configHashAnnotation on the controller's pod template restarts the
	// controller when its configuration changes.
	configHashAnnotation = "checksum/config"
	// namespace + webhookConfigSuffix names the leader's
	// ValidatingWebhookConfiguration (kustomize prefixes the namespace).
	webhookConfigSuffix = "-antrea-mc-validating-webhook-configuration"

	memberAnnouncePrefix = "member-announce-from-"
	clusterInfoKind      = "ClusterInfo"
)

// Labels and annotations Clusterwright puts on what it makes, so that leave
// and disband remove exactly that.
const (
	// LabelManagedBy is app.kubernetes.io/managed-by: clusterwright.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "clusterwright"
	// LabelClusterSet names the ClusterSet an object belongs to.
	LabelClusterSet = "clusterwright.dev/clusterset"
	// LabelPart says which part of the set the object is: PartLeader,
	// PartMember or PartMemberAccess.
	LabelPart = "clusterwright.dev/clusterset-part"
	// LabelMember names the member cluster of a PartMemberAccess object.
	LabelMember = "clusterwright.dev/clusterset-member"
	// GatewayOfAnnotation marks a Node whose gateway annotation Clusterwright
	// added, with the ClusterSet's name: leave removes both.
	GatewayOfAnnotation = "clusterwright.dev/gateway-of-clusterset"

	// PartLeader: the leader's controller, ClusterSet and namespace.
	PartLeader = "leader"
	// PartMember: a member's controller, token copy and ClusterSet.
	PartMember = "member"
	// PartMemberAccess: a member's ServiceAccount, RoleBinding and token
	// Secret on the leader.
	PartMemberAccess = "member-access"
)

// labels are the labels of an object of set's part; member only for
// PartMemberAccess.
func labels(set, part, member string) map[string]string {
	l := map[string]string{LabelManagedBy: managedBy, LabelClusterSet: set, LabelPart: part}
	if member != "" {
		l[LabelMember] = member
	}
	return l
}

// memberTokenName names a member's ServiceAccount, RoleBinding and token
// Secret on the leader.
func memberTokenName(member string) string { return member + "-member-token" }

// leaderTokenName names the copy of a member's token on the member.
func leaderTokenName(set string) string { return set + "-leader-token" }

// clusterInfoName names a member's ClusterInfo export, import and
// ClusterInfoImport.
func clusterInfoName(clusterID string) string { return clusterID + "-clusterinfo" }
