package node

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/pki"
)

// downloadCerts does what `kubeadm join --control-plane --certificate-key KEY` does
// in its control-plane-prepare download-certs phase: with the bootstrap token it reads
// the Secret kube-system/kubeadm-certs, decrypts each shared certificate and key with
// the certificate key, and writes them to the certificates directory (keys 0600), as
// if they had come with the userdata.
func (n *Node) downloadCerts(ctx context.Context, bootstrap kubernetes.Interface, cc cloudinit.ClusterConfiguration, key string) error {
	var files map[string][]byte
	err := retry(ctx, phaseTimeout, func(ctx context.Context) error {
		s, err := bootstrap.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, pki.KubeadmCertsSecret, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("read Secret %s: %w", pki.KubeadmCertsSecret, err)
		}
		files, err = pki.DecryptKubeadmCerts(s.Data, key)
		return err
	})
	if err != nil {
		return err
	}
	for rel, data := range files {
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(rel, ".key") {
			mode = 0o600
		}
		if err := writeFile(n.path(path.Join(cc.CertificatesDir, rel)), data, mode); err != nil {
			return err
		}
	}
	n.log.Info("downloaded the shared certificates from " + pki.KubeadmCertsSecret)
	return nil
}
