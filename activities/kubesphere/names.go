package kubesphere

import "k8s.io/apimachinery/pkg/runtime/schema"

// clusterGVR is KubeSphere's Cluster kind (kubesphere.io/kubesphere cannot
// be downloaded: dynamic client and GVR).
var clusterGVR = schema.GroupVersionResource{Group: "cluster.kubesphere.io", Version: "v1alpha1", Resource: "clusters"}

// Names of KubeSphere (ks-core v4.1 and ks-installer v3 alike).
const (
	// KubeSphereNamespace is where ks-core runs, with its configuration.
	KubeSphereNamespace = "kubesphere-system"
	// configMapName and configKey hold KubeSphere's configuration, whose
	// multicluster.clusterRole is host, member or none.
	configMapName = "kubesphere-config"
	configKey     = "kubesphere.yaml"
	roleHost      = "host"
	// HostClusterLabel marks the host's own Cluster.
	HostClusterLabel = "cluster-role.kubesphere.io/host"
	// descriptionAnnotation is the description KubeSphere's console shows.
	descriptionAnnotation = "kubesphere.io/description"

	// MemberNamespace holds the member's ServiceAccount and token.
	MemberNamespace = "kube-system"
	// memberRole is what KubeSphere's host needs on a direct member.
	memberRole = "cluster-admin"
	// connectionDirect: the host reaches the member's API server itself.
	connectionDirect = "direct"
	// provider is the Cluster's spec.provider, a description only.
	provider = "clusterwright"
)

// Labels Clusterwright puts on what it makes, so that UnregisterMember
// removes exactly that.
const (
	// LabelManagedBy is app.kubernetes.io/managed-by: clusterwright.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "clusterwright"
	// LabelHost names the host on a member's ServiceAccount, binding and
	// token Secret.
	LabelHost = "clusterwright.dev/kubesphere-host"
	// LabelMember names the member on the host's Cluster.
	LabelMember = "clusterwright.dev/kubesphere-member"
)

// ServiceAccountName names the member's ServiceAccount and
// ClusterRoleBinding for host.
func ServiceAccountName(host string) string { return "kubesphere-member-" + host }

// tokenSecretName names the member's token Secret for host.
func tokenSecretName(host string) string { return ServiceAccountName(host) + "-token" }

// memberLabels are the labels of a member's objects for host.
func memberLabels(host string) map[string]string {
	return map[string]string{LabelManagedBy: managedBy, LabelHost: host}
}

// clusterLabels are the labels of the host's Cluster of member.
func clusterLabels(member string) map[string]string {
	return map[string]string{LabelManagedBy: managedBy, LabelMember: member}
}
