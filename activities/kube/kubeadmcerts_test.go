package kube

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// memCerts is an in-memory CertificateKeys.
type memCerts struct {
	mu    sync.Mutex
	files map[string][]byte
	tok   pki.BootstrapToken
	key   string
}

func (m *memCerts) SharedCAFiles(context.Context, string) (map[string][]byte, error) {
	return m.files, nil
}

func (m *memCerts) NodeJoinToken(context.Context, string) (pki.BootstrapToken, error) {
	return m.tok, nil
}

func (m *memCerts) Day0Token(context.Context, string) (pki.BootstrapToken, error) {
	return m.tok, nil
}

func (m *memCerts) PutCertificateKey(_ context.Context, _ string, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.key = key
	return nil
}

func (m *memCerts) CertificateKey(context.Context, string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.key == "" {
		return "", fmt.Errorf("certificate key: %w", domain.ErrNotFound)
	}
	return m.key, nil
}

func (m *memCerts) DeleteCertificateKey(context.Context, string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.key = ""
	return nil
}

// TestUploadCerts uploads a cluster's shared certificates as kubeadm does: the Secret
// kubeadm-certs holds every shared file under kubeadm's data key, encrypted (no PEM in
// it), opening under the stored key only, owned by the join token's Secret; the Role
// and RoleBinding let the join tokens' group get that Secret alone. A second upload
// keeps the key; a token Secret that is not the nodes' token is refused; the delete
// removes the Secret and the key, twice without error.
func TestUploadCerts(t *testing.T) {
	ctx := context.Background()
	p, err := pki.NewClusterPKI("up")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		t.Fatal(err)
	}
	owner := joinTokenSecret(tok, time.Now().Add(time.Hour))
	owner.UID = types.UID("token-uid")
	cs := fake.NewClientset(owner)
	certs := &memCerts{files: p.Files(), tok: tok}
	a := &Activities{Certs: certs}

	if err := a.uploadCerts(ctx, cs, "c1"); err != nil {
		t.Fatal(err)
	}
	key, err := certs.CertificateKey(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "kubeadm-certs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Kind != "Secret" || s.OwnerReferences[0].Name != "bootstrap-token-"+tok.ID ||
		s.OwnerReferences[0].UID != owner.UID {
		t.Errorf("owner references %+v, want the token's Secret", s.OwnerReferences)
	}
	for name, v := range s.Data {
		if bytes.Contains(v, []byte("-----BEGIN")) {
			t.Errorf("%s is in the clear", name)
		}
	}
	files, err := pki.DecryptKubeadmCerts(s.Data, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range pki.SharedCAFiles {
		if !bytes.Equal(files[rel], p.Files()[rel]) {
			t.Errorf("%s differs from the cluster's", rel)
		}
	}
	role, err := cs.RbacV1().Roles("kube-system").Get(ctx, "kubeadm:kubeadm-certs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := role.Rules; len(r) != 1 || len(r[0].ResourceNames) != 1 || r[0].ResourceNames[0] != "kubeadm-certs" || r[0].Verbs[0] != "get" {
		t.Errorf("role rules %+v", r)
	}
	rb, err := cs.RbacV1().RoleBindings("kube-system").Get(ctx, "kubeadm:kubeadm-certs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Name != joinTokenGroup || rb.RoleRef.Name != role.Name {
		t.Errorf("role binding %+v", rb)
	}

	if err := a.uploadCerts(ctx, cs, "c1"); err != nil {
		t.Fatal(err)
	}
	if again, _ := certs.CertificateKey(ctx, "c1"); again != key {
		t.Error("a second upload changed the key of a Secret that served")
	}

	other := &memCerts{files: p.Files(), tok: pki.BootstrapToken{ID: tok.ID, Secret: "0123456789abcdef"}}
	if err := (&Activities{Certs: other}).uploadCerts(ctx, cs, "c1"); err == nil {
		t.Error("an upload owned by another token's Secret was made")
	}

	for range 2 {
		if err := a.deleteKubeadmCerts(ctx, cs, "c1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "kubeadm-certs", metav1.GetOptions{}); !notFound(err) {
		t.Errorf("kubeadm-certs after the delete: %v", err)
	}
	if _, err := certs.CertificateKey(ctx, "c1"); err == nil {
		t.Error("the certificate key outlived the delete")
	}
}
