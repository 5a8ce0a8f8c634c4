package bootstrap_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/pki"
)

// TestServiceIdentityRenewsItself: Prepare stores the service's own identity
// (clusterwright-service, not system:masters); loading it keeps it while more than a
// third of its life is left, and replaces it once, even under concurrent loads, when
// less is left.
func TestServiceIdentityRenewsItself(t *testing.T) {
	s, c := newCluster(t)
	src := &bootstrap.Source{Store: s}
	ctx := context.Background()
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	first, err := src.AdminKubeconfig(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := bootstrap.KubeconfigClientCertificate(first)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != pki.ServiceUser || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != pki.ServiceGroup {
		t.Fatalf("service identity %v", cert.Subject)
	}
	if again, _ := src.AdminKubeconfig(ctx, c.ID); !bytes.Equal(again, first) {
		t.Fatal("a service kubeconfig with most of its life left was replaced")
	}

	// One whose last third has begun (issued from the same CA, 200 of 300 days gone).
	m, err := src.Material(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	old, oldCert, err := pki.ClientKubeconfig(c.Name, "https://"+c.ControlPlaneEndpoint, m.PKI.CA, pki.ClientCertificate{
		User: pki.ServiceUser, Groups: []string{pki.ServiceGroup},
		NotBefore: time.Now().Add(-200 * 24 * time.Hour), NotAfter: time.Now().Add(100 * 24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutClusterSecret(ctx, c.ID, bootstrap.SecretAdminKubeconfig, old); err != nil {
		t.Fatal(err)
	}
	got := make([][]byte, 6)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			kc, err := src.AdminKubeconfig(ctx, c.ID)
			if err != nil {
				t.Error(err)
			}
			got[i] = kc
		})
	}
	wg.Wait()
	stored, err := s.ClusterSecret(ctx, c.ID, bootstrap.SecretAdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for i, kc := range got {
		if !bytes.Equal(kc, stored) {
			t.Errorf("load %d got another kubeconfig than the one stored: renewed more than once", i)
		}
	}
	renewed, err := bootstrap.KubeconfigClientCertificate(stored)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.SerialNumber.Cmp(oldCert.SerialNumber) == 0 || !renewed.NotAfter.After(time.Now().Add(300*24*time.Hour)) ||
		renewed.Subject.CommonName != pki.ServiceUser {
		t.Errorf("renewed certificate: %v until %s", renewed.Subject, renewed.NotAfter)
	}
}

// TestUserKubeconfigsAreEachNew: two issues for two users are two certificates of the
// cluster CA, for those users, valid for their TTL, pointing at the endpoint.
func TestUserKubeconfigsAreEachNew(t *testing.T) {
	s, c := newCluster(t)
	src := &bootstrap.Source{Store: s}
	ctx := context.Background()
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	a, err := src.IssueUserKubeconfig(ctx, c.ID, bootstrap.UserKubeconfigRequest{User: "clusterwright:alice", Groups: []string{"clusterwright:viewers"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.IssueUserKubeconfig(ctx, c.ID, bootstrap.UserKubeconfigRequest{User: "clusterwright:bob", Groups: []string{"clusterwright:admins"}, TTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessProblem != nil || b.AccessProblem != nil {
		t.Errorf("access problems for a cluster with the service identity: %v %v", a.AccessProblem, b.AccessProblem)
	}
	if a.Certificate.SerialNumber.Cmp(b.Certificate.SerialNumber) == 0 || a.Certificate.Subject.CommonName != "clusterwright:alice" ||
		b.Certificate.Subject.Organization[0] != "clusterwright:admins" {
		t.Errorf("certificates %v %v", a.Certificate.Subject, b.Certificate.Subject)
	}
	if d := time.Until(b.Certificate.NotAfter); d > 2*time.Hour || d < 2*time.Hour-time.Minute {
		t.Errorf("2h kubeconfig expires in %s", d)
	}
	if !bytes.Contains(a.Kubeconfig, []byte("server: https://"+c.ControlPlaneEndpoint)) || !bytes.Contains(a.Kubeconfig, []byte("clusterwright:alice@c1")) {
		t.Errorf("kubeconfig:\n%s", a.Kubeconfig)
	}
}
