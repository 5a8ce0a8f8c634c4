package kubesphere

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/activities/heartbeat"
)

// IsKubeSphereHost reports whether a cluster is a KubeSphere host: its
// KubeSphere configuration (ConfigMap kubesphere-system/kubesphere-config,
// which ks-core renders from its value multicluster.role, and ks-installer
// v3 from its ClusterConfiguration) says multicluster.clusterRole host. A
// cluster without KubeSphere, or with it as a member, is not.
func (a *Activities) IsKubeSphereHost(ctx context.Context, cluster Cluster) (bool, error) {
	defer heartbeat.Every(ctx, HeartbeatInterval)()
	if err := cluster.check("KubeSphere"); err != nil {
		return false, err
	}
	c, err := a.connect(ctx, cluster)
	if err != nil {
		return false, classify(err)
	}
	role, err := c.kubeSphereRole(ctx)
	if err != nil {
		return false, classify(err)
	}
	return role == roleHost, nil
}

// kubeSphereRole is the cluster's KubeSphere multi-cluster role (host,
// member, none), or "" without KubeSphere.
func (c *clients) kubeSphereRole(ctx context.Context) (string, error) {
	cm, err := c.kube.CoreV1().ConfigMaps(KubeSphereNamespace).Get(ctx, configMapName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		// The ConfigMap holds KubeSphere's JWT secret: the reason only.
		return "", sensitiveError("read ConfigMap", KubeSphereNamespace+"/"+configMapName+" of cluster "+c.cluster.Name, err)
	}
	return parseRole(c.cluster, cm.Data[configKey])
}

// parseRole reads multicluster.clusterRole from KubeSphere's configuration.
func parseRole(cluster Cluster, doc string) (string, error) {
	var config struct {
		Multicluster struct {
			ClusterRole string `json:"clusterRole"`
		} `json:"multicluster"`
	}
	if err := yaml.Unmarshal([]byte(doc), &config); err != nil {
		// The parser's message may quote the document, secrets included.
		return "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the KubeSphere configuration of cluster %s (%s in ConfigMap %s/%s) does not parse",
				cluster.Name, configKey, KubeSphereNamespace, configMapName), ErrTypeBadConfig, nil)
	}
	return config.Multicluster.ClusterRole, nil
}
