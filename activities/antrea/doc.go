// Package antrea holds the activities that form, join, leave and disband
// an Antrea Multi-cluster ClusterSet, as Antrea v2.x sets one up by hand,
// acting on the clusters' API servers as their administrator (the admin
// kubeconfig is read from the inventory inside each activity; tokens are
// copied between clusters inside ConnectMember and never returned).
//
// # The objects
//
// On the leader, in namespace antrea-multicluster: the leader controller
// (ServiceAccount, ConfigMap, Deployment antrea-mc-controller whose
// container names the role "leader", Role antrea-mc-controller-role and its
// RoleBinding), Role antrea-mc-member-cluster-role, the leader's ClusterSet
// (v1alpha2, named after the set) and per member a ServiceAccount,
// RoleBinding and service-account-token Secret <member>-member-token.
// On each member, the leader included, in kube-system: the member
// controller (ServiceAccount, ConfigMap antrea-mc-controller-config with the
// MultiClusterConfig, Deployment, ClusterRole and ClusterRoleBinding
// antrea-mc-member-controller), the token copy <set>-leader-token, the
// member's ClusterSet pointing at the leader's API endpoint, and the
// gateway candidates' annotation multicluster.antrea.io/gateway.
//
// Every object carries app.kubernetes.io/managed-by=clusterwright,
// clusterwright.dev/clusterset=<set> and clusterwright.dev/clusterset-part
// (leader, member or member-access, with clusterwright.dev/clusterset-member
// on the latter); annotated Nodes carry clusterwright.dev/gateway-of-clusterset.
// Leave and disband remove by these, so that each cluster is left as it
// was before the set. Objects are written with server-side apply: every
// activity can be repeated, and repeating it writes nothing.
//
// # The order
//
// Form: EnsureLeader; for each member, the leader first, EnsureMemberController,
// AnnotateGateways and ConnectMember; WaitClusterSet, whose Status the
// workflow records (ClusterSetStatus reads it later). Join: the member's
// three activities and WaitClusterSet; LeaveMember undoes a failed join.
// Leave: LeaveMember. Disband: LeaveMember for every member, the leader's
// own membership last, then DisbandLeader.
//
// The Antrea agents' side (featureGates.Multicluster and
// multicluster.enableGateway) belongs to the Antrea release
// (activities/addons).
package antrea
