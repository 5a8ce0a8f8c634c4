package antreamc

import "k8s.io/apimachinery/pkg/runtime/schema"

// The kinds of multicluster.crd.antrea.io the controller reads and writes.
var (
	clusterSetGVR            = mcGVR("v1alpha2", "clustersets")
	memberClusterAnnounceGVR = mcGVR("v1alpha1", "memberclusterannounces")
	resourceExportGVR        = mcGVR("v1alpha1", "resourceexports")
	resourceImportGVR        = mcGVR("v1alpha1", "resourceimports")
	gatewayGVR               = mcGVR("v1alpha1", "gateways")
	clusterInfoImportGVR     = mcGVR("v1alpha1", "clusterinfoimports")
)

func mcGVR(version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: mcGroup, Version: version, Resource: resource}
}

// Names and values the real controller uses.
const (
	mcGroup = "multicluster.crd.antrea.io"

	// controllerDeployment is the Deployment of antrea-mc-controller in
	// antrea-multicluster-leader.yml and antrea-multicluster-member.yml.
	controllerDeployment = "antrea-mc-controller"
	// controllerServiceAccount is the ServiceAccount it runs as.
	controllerServiceAccount = "antrea-mc-controller"
	// controllerConfigMap holds the MultiClusterConfig, under controllerConfigKey.
	controllerConfigMap = "antrea-mc-controller-config"
	controllerConfigKey = "controller_manager_config.yaml"

	roleLeader = "leader"
	roleMember = "member"

	// memberAnnouncePrefix prefixes a member's MemberClusterAnnounce name.
	memberAnnouncePrefix = "member-announce-from-"
	// touchAnnotation is rewritten on every heartbeat, so that the update is
	// never a no-op.
	touchAnnotation = "touch-ts"
	// announceFinalizer (with "/<clusterID>") is the leader's finalizer on a
	// MemberClusterAnnounce.
	announceFinalizer = "memberclusterannounce.finalizer.antrea.io"
	// exportFinalizer is the member's finalizer on its ResourceExports.
	exportFinalizer = "resourceexport.antrea.io/finalizer"
	// clusterIDAnnotation binds a member's ServiceAccount on the leader to
	// its ClusterID.
	clusterIDAnnotation = "multicluster.antrea.io/cluster-id"

	gatewayAnnotation   = "multicluster.antrea.io/gateway"
	gatewayIPAnnotation = "multicluster.antrea.io/gateway-ip"

	clusterInfoKind = "ClusterInfo"
	// Labels of a ResourceExport.
	labelSourceKind      = "sourceKind"
	labelSourceClusterID = "sourceClusterID"

	// antreaConfigMap is the Antrea chart's configuration, in kube-system.
	antreaConfigMap = "antrea-config"
	antreaAgentConf = "antrea-agent.conf"
)

// clusterInfoName is the name of a member's ClusterInfo ResourceExport, of
// the ResourceImport made from it and of the ClusterInfoImports of it.
func clusterInfoName(clusterID string) string { return clusterID + "-clusterinfo" }
