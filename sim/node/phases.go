package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterwright/clusterwright/cloudinit"
)

// Names of the bootstrap-token API (k8s.io/cluster-bootstrap/token/api).
const (
	clusterInfoConfigMap  = "cluster-info"
	clusterInfoKubeconfig = "kubeconfig"
	// jwsSignaturePrefix prefixes the token ID in the key of each detached
	// signature the bootstrap signer adds to cluster-info.
	jwsSignaturePrefix    = "jws-kubeconfig-"
	bootstrapTokenPrefix  = "bootstrap-token-"
	bootstrapTokenType    = "bootstrap.kubernetes.io/token"
	defaultBootstrapTTL   = 24 * time.Hour
	labelControlPlane     = "node-role.kubernetes.io/control-plane"
	labelExcludeFromLB    = "node.kubernetes.io/exclude-from-external-load-balancers"
	clusterConfigurationK = "ClusterConfiguration"
)

// controlPlaneTaint is the taint kubeadm gives control-plane nodes by default.
var controlPlaneTaint = corev1.Taint{Key: labelControlPlane, Effect: corev1.TaintEffectNoSchedule}

// uploadClusterConfiguration stores the ClusterConfiguration in the
// kubeadm-config ConfigMap, where joining nodes and upgrades read it.
func uploadClusterConfiguration(ctx context.Context, c kubernetes.Interface, cc cloudinit.ClusterConfiguration) error {
	doc, err := cloudinit.RenderKubeadm(cc)
	if err != nil {
		return err
	}
	return apply(ctx, c.CoreV1().ConfigMaps(metav1.NamespaceSystem), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: kubeadmConfigMap, Namespace: metav1.NamespaceSystem},
		Data:       map[string]string{clusterConfigurationK: string(doc)},
	})
}

// createBootstrapTokens stores each token as kubeadm does: a Secret
// kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token.
func createBootstrapTokens(ctx context.Context, c kubernetes.Interface, tokens []cloudinit.BootstrapToken) error {
	for _, t := range tokens {
		data := map[string]string{
			"token-id":     t.Token.ID,
			"token-secret": t.Token.Secret,
		}
		if t.Description != "" {
			data["description"] = t.Description
		}
		ttl := defaultBootstrapTTL
		if t.TTL != nil {
			ttl = t.TTL.Duration
		}
		if ttl > 0 {
			data["expiration"] = time.Now().Add(ttl).UTC().Format(time.RFC3339)
		}
		usages := t.Usages
		if usages == nil {
			usages = []string{"signing", "authentication"}
		}
		for _, u := range usages {
			data["usage-bootstrap-"+u] = "true"
		}
		if len(t.Groups) > 0 {
			data["auth-extra-groups"] = strings.Join(t.Groups, ",")
		}
		err := apply(ctx, c.CoreV1().Secrets(metav1.NamespaceSystem), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: bootstrapTokenPrefix + t.Token.ID, Namespace: metav1.NamespaceSystem},
			Type:       bootstrapTokenType,
			StringData: data,
		})
		if err != nil {
			return fmt.Errorf("bootstrap token %s: %w", t.Token.ID, err)
		}
	}
	return nil
}

// createClusterInfo publishes the cluster-info ConfigMap in kube-public: a
// kubeconfig with the cluster's API URL and CA and no credentials. The
// bootstrap signer in the controller manager adds a JWS signature for each
// signing token.
func createClusterInfo(ctx context.Context, c kubernetes.Interface, server string, caPEM []byte) error {
	kubeconfig, err := clientcmd.Write(clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{"": {Server: server, CertificateAuthorityData: caPEM}},
	})
	if err != nil {
		return err
	}
	return apply(ctx, c.CoreV1().ConfigMaps(metav1.NamespacePublic), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: clusterInfoConfigMap, Namespace: metav1.NamespacePublic},
		Data:       map[string]string{clusterInfoKubeconfig: string(kubeconfig)},
	})
}

// markControlPlane labels a control-plane Node and adds its taints, as
// kubeadm's mark-control-plane phase does (a kubelet may not set these
// labels itself).
func markControlPlane(ctx context.Context, c kubernetes.Interface, name string, taints []corev1.Taint) error {
	node, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("wait for Node %s: %w", name, err)
	}
	_, hasRole := node.Labels[labelControlPlane]
	_, hasLB := node.Labels[labelExcludeFromLB]
	missing := slices.DeleteFunc(slices.Clone(taints), func(t corev1.Taint) bool {
		return slices.ContainsFunc(node.Spec.Taints, func(have corev1.Taint) bool { return have.MatchTaint(&t) })
	})
	if hasRole && hasLB && len(missing) == 0 {
		return nil
	}
	if node.Labels == nil {
		node.Labels = map[string]string{}
	}
	node.Labels[labelControlPlane] = ""
	node.Labels[labelExcludeFromLB] = ""
	node.Spec.Taints = append(node.Spec.Taints, missing...)
	_, err = c.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
	return err
}
