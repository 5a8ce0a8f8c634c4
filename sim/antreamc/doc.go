// Package antreamc simulates the Antrea Multi-cluster controller
// (antrea-mc-controller) for the clusters of the simulated datacenter. It
// acts only through each cluster's API server, with the dynamic client for
// the multicluster.crd.antrea.io kinds, as the real controller would.
//
// # When it runs
//
// The real controller runs where its Deployment runs: Deployment
// antrea-mc-controller, whose container command (or arguments) names the
// role, "leader" or "member" (antrea-multicluster-leader.yml puts the leader
// in namespace antrea-multicluster, antrea-multicluster-member.yml the member
// in kube-system; the simulator's antrea chart renders the same objects). The
// simulated controller watches the cluster's Deployments of that name and
// runs one leader or member per Deployment that has an available replica, in
// the Deployment's namespace, the way POD_NAMESPACE tells the real one. It
// stops when the Deployment is gone or has no available replica.
//
// # Member
//
// Every heartbeat it reads its ClusterSet (v1alpha2, in its namespace), the
// token Secret named by spec.leaders[0].secret (keys token and ca.crt), and
// connects to the leader's API server at spec.leaders[0].server with that
// token, trusting only that CA: the leader's API server authenticates and
// authorises every request. It creates or touches MemberClusterAnnounce
// member-announce-from-<clusterID> in the leader namespace (spec.namespace),
// and fills its ClusterSet's status (totalClusters 1, readyClusters,
// condition Ready, clusterStatuses[leader] with Ready and IsLeader). When
// connected, and when antrea-config enables the Multicluster feature gate
// and multicluster.enableGateway for the agent, a Ready Node annotated
// multicluster.antrea.io/gateway becomes the Gateway (named after the Node,
// gatewayIP from the multicluster.antrea.io/gateway-ip annotation or the
// Node's address chosen by gatewayIPPrecedence, internalIP), exported to the
// leader as ResourceExport <clusterID>-clusterinfo (kind ClusterInfo); the
// leader's ClusterInfo ResourceImports of other members become
// ClusterInfoImports <peer>-clusterinfo in the member's namespace. The
// leader cluster may be a member of its own ClusterSet (its member
// ClusterSet names itself as the leader), as Antrea's quick start sets it up.
//
// # Leader
//
// It serves the validating admission webhook of the real leader (for
// MemberClusterAnnounce and ResourceExport: the caller's ServiceAccount must
// carry multicluster.antrea.io/cluster-id equal to the announced ClusterID,
// names must be derived from it, and ClusterIDs may not form a dash-prefix
// pair such as east and east-1), registered with the API server by URL.
// Every heartbeat it reads the MemberClusterAnnounces of its namespace
// (adding the real finalizer), turns ClusterInfo ResourceExports into
// ResourceImports, and fills its ClusterSet's status: totalClusters and
// readyClusters count the members that announced themselves; each member's
// clusterStatuses entry has Ready and ClusterConnected, reason Connected, or
// Disconnected once no heartbeat came for the connection timeout (30 s).
//
// Wrong wiring never creates objects on the leader: the status conditions
// say why, as the real controller's do.
package antreamc
