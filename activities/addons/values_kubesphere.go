package addons

import "github.com/clusterwright/clusterwright/domain"

// KubeSphereConsolePort is the node port of the KubeSphere web console.
const KubeSphereConsolePort = 30880

// KubeSphereValues are the values of the ks-core chart: the cluster's
// multi-cluster role (host unless the spec says member; a host names its
// own Cluster object after the cluster), the web console on node port
// KubeSphereConsolePort, the initial admin password when given (empty keeps
// the current one, or lets KubeSphere generate one), and the image
// registry, which must be a mirror since KubeSphere's public images are no
// longer downloadable (empty keeps the chart's).
func KubeSphereValues(spec domain.ClusterSpec, adminPassword, imageRegistry string) map[string]any {
	role := "host"
	if ks := spec.Addons.KubeSphere; ks != nil && ks.Role != "" {
		role = ks.Role
	}
	mc := map[string]any{"role": role}
	if role == "host" && spec.Name != "" {
		mc["hostClusterName"] = spec.Name
	}
	vals := map[string]any{
		"multicluster": mc,
		"console":      map[string]any{"nodePort": KubeSphereConsolePort},
	}
	if adminPassword != "" {
		vals["authentication"] = map[string]any{"adminPassword": adminPassword}
	}
	if imageRegistry != "" {
		vals["global"] = map[string]any{"imageRegistry": imageRegistry}
	}
	return vals
}
