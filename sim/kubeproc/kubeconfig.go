package kubeproc

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// kubeconfig renders a kubeconfig for one user with everything embedded,
// the way kubeadm writes admin.conf and its siblings.
func kubeconfig(cluster, server string, caPEM []byte, user string, client issued) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %s
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: %s@%s
  context:
    cluster: %s
    user: %s
current-context: %s@%s
`, cluster, server, b64(caPEM), user, b64(client.certPEM), b64(client.keyPEM),
		user, cluster, cluster, user, user, cluster)
}

// kubeconfigFile is a kubeconfig to keep in the kubeconfig directory.
type kubeconfigFile struct {
	path, server, user string
	leaf               leaf
}

// ensureKubeconfig returns the client credentials of the kubeconfig at
// k.path if it points at k.server, trusts the cluster CA and holds a valid
// client certificate for k.leaf; otherwise it issues a new certificate and
// writes the file anew. With renew it always issues a new certificate.
func (ca *authority) ensureKubeconfig(k kubeconfigFile, cluster string, caPEM []byte, validity time.Duration, renew bool) (issued, error) {
	if c, ok := ca.existingKubeconfig(k, caPEM); ok && !renew {
		return c, nil
	}
	c, err := ca.issue(k.leaf, validity)
	if err != nil {
		return issued{}, fmt.Errorf("issue client certificate for %s: %w", k.path, err)
	}
	if err := os.MkdirAll(filepath.Dir(k.path), 0o755); err != nil {
		return issued{}, err
	}
	if err := os.WriteFile(k.path, kubeconfig(cluster, k.server, caPEM, k.user, c), 0o600); err != nil {
		return issued{}, fmt.Errorf("write kubeconfig: %w", err)
	}
	return c, nil
}

// existingKubeconfig loads the kubeconfig at k.path and reports whether it
// can be kept.
func (ca *authority) existingKubeconfig(k kubeconfigFile, caPEM []byte) (issued, bool) {
	cfg, err := clientcmd.LoadFromFile(k.path)
	if err != nil {
		return issued{}, false
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil {
		return issued{}, false
	}
	cluster, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cluster == nil || user == nil || cluster.Server != k.server || !bytes.Equal(cluster.CertificateAuthorityData, caPEM) {
		return issued{}, false
	}
	c := issued{certPEM: user.ClientCertificateData, keyPEM: user.ClientKeyData}
	if ca.check(c, k.leaf, time.Now()) != nil {
		return issued{}, false
	}
	return c, true
}
