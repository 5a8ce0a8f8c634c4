package domain

import "time"

// KubeGroupPrefix prefixes the Kubernetes user and group names of the identities the
// service issues kubeconfigs for, so that they never collide with a cluster's own.
const KubeGroupPrefix = "clusterwright:"

// KubeUser is the Kubernetes user name (client certificate CN) of a personal
// kubeconfig issued to the API token named tokenName, e.g. "clusterwright:alice".
func KubeUser(tokenName string) string { return KubeGroupPrefix + tokenName }

// KubeGroup is the Kubernetes group (client certificate O) of r's personal
// kubeconfigs: "clusterwright:admins", "clusterwright:operators" or
// "clusterwright:viewers"; empty for an unknown role.
func (r Role) KubeGroup() string {
	switch r {
	case RoleAdmin, RoleOperator, RoleViewer:
		return KubeGroupPrefix + string(r) + "s"
	}
	return ""
}

// KubeClusterRole is the built-in ClusterRole that r's group is bound to in every
// cluster: cluster-admin for admins, edit for operators, view for viewers.
func (r Role) KubeClusterRole() string {
	switch r {
	case RoleAdmin:
		return "cluster-admin"
	case RoleOperator:
		return "edit"
	case RoleViewer:
		return "view"
	}
	return ""
}

// Lifetimes of personal kubeconfigs (GET /api/v1/clusters/{name}/kubeconfig?ttl=).
const (
	DefaultKubeconfigTTL = 8 * time.Hour
	MinKubeconfigTTL     = time.Minute
	// DefaultKubeconfigMaxTTL is the longest ttl unless --kubeconfig-max-ttl says.
	DefaultKubeconfigMaxTTL = 24 * time.Hour
)
