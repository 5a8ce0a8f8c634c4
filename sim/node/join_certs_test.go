package node

import (
	"bytes"
	"context"
	"os"
	"path"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// TestDownloadCerts makes a control plane that joins with a certificate key (its
// userdata holds no private key) and runs its download-certs phase against a
// kubeadm-certs Secret: the shared certificates and keys land in its certificates
// directory as the cluster has them, keys readable by root only; a Secret sealed
// under another key is refused.
func TestDownloadCerts(t *testing.T) {
	c, err := nodetest.NewCluster("dl", domain.KubernetesVersions().Default, "127.91.0.10")
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewCertificateKey()
	if err != nil {
		t.Fatal(err)
	}
	spec := c.ControlPlaneNode("dl-cp-1", "127.91.0.11")
	spec.PKIFiles = nil
	spec.Kubeadm.Join.ControlPlane.CertificateKey = key
	_, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ud, []byte("PRIVATE KEY")) {
		t.Fatal("the userdata holds a private key")
	}
	n := newTestNode(t, c, spec, &guestLog{}, nil)
	data, err := pki.EncryptKubeadmCerts(c.PKI.Files(), key)
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: pki.KubeadmCertsSecret, Namespace: "kube-system"}, Data: data}
	cc := cloudinit.ClusterConfiguration{CertificatesDir: cloudinit.PKIDir}
	if err := n.downloadCerts(context.Background(), fake.NewClientset(secret), cc, n.Spec().Kubeadm.Join.ControlPlane.CertificateKey); err != nil {
		t.Fatal(err)
	}
	for rel, want := range c.PKI.Files() {
		p := n.path(path.Join(cloudinit.PKIDir, rel))
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v (same: %v)", rel, err, bytes.Equal(got, want))
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if wantMode := os.FileMode(0o644); path.Ext(rel) == ".key" && st.Mode().Perm() != 0o600 || path.Ext(rel) != ".key" && st.Mode().Perm() != wantMode {
			t.Errorf("%s has mode %v", rel, st.Mode().Perm())
		}
	}

	other, err := pki.NewCertificateKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := n.downloadCerts(ctx, fake.NewClientset(secret), cc, other); err == nil {
		t.Error("kubeadm-certs opened under another key")
	}
}
