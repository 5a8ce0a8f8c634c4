// Package kubesphere holds the activities that register a cluster as a
// member of a KubeSphere host and remove it again, as KubeSphere's console
// does for a member added with a direct connection, acting on both
// clusters' API servers as their administrator (the admin kubeconfigs are
// read from the inventory inside each activity).
//
// # The objects
//
// On the member, for each host it is registered with: ServiceAccount
// kube-system/kubesphere-member-<host>, ClusterRoleBinding
// kubesphere-member-<host> to cluster-admin, and the long-lived token Secret
// kube-system/kubesphere-member-<host>-token
// (kubernetes.io/service-account-token). KubeSphere's host manages a direct
// member with the kubeconfig it is given, as cluster-admin: it installs its
// agent there (v4) and proxies every user's request, impersonating them.
// No narrower role serves that, so the binding is cluster-admin, held by
// this one ServiceAccount alone, and the cluster's admin credentials never
// leave Clusterwright.
//
// On the host: the cluster-scoped Cluster (cluster.kubesphere.io/v1alpha1)
// named after the member, spec.connection.type direct, with a kubeconfig
// built inside RegisterMember from the token, the member's CA and its API
// endpoint (spec.connection.kubeconfig, base64) and
// spec.connection.kubernetesAPIEndpoint.
//
// Every object carries app.kubernetes.io/managed-by=clusterwright; the
// member's objects carry clusterwright.dev/kubesphere-host=<host>, the host's
// Cluster clusterwright.dev/kubesphere-member=<member>. UnregisterMember
// removes by these, leaving both clusters as they were. Objects are written
// with server-side apply: repeating RegisterMember writes nothing unless the
// token changed (a replaced ServiceAccount gets a new token Secret, and the
// Cluster the new kubeconfig).
//
// Nothing secret goes into requests, results, errors or logs: tokens and
// kubeconfigs stay inside the activities.
//
// # The order
//
// Register a member: IsKubeSphereHost(host) when the workflow must decide
// (a ClusterSet's leader), IsKubeSphereHost(member) to skip a member that
// is a host itself (RegisterMember refuses one), then RegisterMember.
// Unregister: UnregisterMember, which deletes the host's Cluster first and
// waits until it is gone (KubeSphere's finalizer cleans up on the member
// with the member's credentials), then the member's objects; with
// MemberGone it leaves the member alone (a member being deleted or
// unreachable).
package kubesphere
