package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// TestCertificates records a cluster's certificates, reads them back with days left,
// replaces the set whole and keeps the cluster's certificate_expiry the earliest.
func TestCertificates(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	c := recordClusters(t, s, "certs")[0]
	if got, err := s.Certificates(ctx, c.ID, time.Now()); err != nil || len(got) != 0 {
		t.Fatalf("certificates never checked = %v, %v", got, err)
	}

	now := time.Now().UTC().Truncate(time.Second)
	year, decade := now.Add(365*24*time.Hour), now.Add(3650*24*time.Hour)
	first := []domain.Certificate{
		{Node: "certs-cp-0", Name: "apiserver", CAName: "ca", NotAfter: year, Source: domain.CertSourceKubeadm, CheckedAt: now},
		{Node: "certs-cp-0", Name: "ca", CAName: "ca", Authority: true, NotAfter: decade, Source: domain.CertSourceKubeadm, CheckedAt: now},
		{Name: "apiserver", Subject: "kube-apiserver", CAName: "ca", NotAfter: year.Add(time.Minute), Source: domain.CertSourceAPIServerTLS, CheckedAt: now},
		{Name: "admin-kubeconfig", Subject: "kubernetes-admin", CAName: "ca", NotAfter: year.Add(-time.Hour), Source: domain.CertSourceServiceKubeconfig, CheckedAt: now},
	}
	if err := s.ReplaceCertificates(ctx, c.ID, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.Certificates(ctx, c.ID, now)
	if err != nil || len(got) != 4 {
		t.Fatalf("certificates = %+v, %v", got, err)
	}
	if got[0].Node != "" || got[2].Name != "apiserver" || got[3].Name != "ca" || !got[3].Authority {
		t.Errorf("order: %+v", got)
	}
	for _, g := range got {
		want := 364
		if g.Authority {
			want = 3650
		} else if g.Source == domain.CertSourceAPIServerTLS || g.Source == domain.CertSourceKubeadm {
			want = 365
		}
		if g.DaysLeft != want || !g.CheckedAt.Equal(now) {
			t.Errorf("%s/%s (%s): days left %d, checked %v; want %d, %v", g.Node, g.Name, g.Source, g.DaysLeft, g.CheckedAt, want, now)
		}
	}
	cl, err := s.GetClusterByID(ctx, c.ID)
	if err != nil || cl.CertificateExpiry == nil || !cl.CertificateExpiry.Equal(year.Add(-time.Hour)) {
		t.Fatalf("certificate expiry = %v, %v; want the kubeconfig's %v", cl.CertificateExpiry, err, year.Add(-time.Hour))
	}

	// A new check replaces the set whole.
	later := now.Add(time.Hour)
	second := []domain.Certificate{{Node: "certs-cp-0", Name: "apiserver", CAName: "ca", NotAfter: year.Add(48 * time.Hour), Source: domain.CertSourceKubeadm, CheckedAt: later}}
	if err := s.ReplaceCertificates(ctx, c.ID, second); err != nil {
		t.Fatal(err)
	}
	got, err = s.Certificates(ctx, c.ID, now)
	if err != nil || len(got) != 1 || !got[0].NotAfter.Equal(year.Add(48*time.Hour)) || !got[0].CheckedAt.Equal(later) {
		t.Fatalf("after the second check = %+v, %v", got, err)
	}
	cl, _ = s.GetClusterByID(ctx, c.ID)
	if cl.CertificateExpiry == nil || !cl.CertificateExpiry.Equal(year.Add(48*time.Hour)) {
		t.Fatalf("certificate expiry after the second check = %v", cl.CertificateExpiry)
	}

	// The same name may come from several sources and nodes; an empty set clears.
	if err := s.ReplaceCertificates(ctx, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if cl, _ = s.GetClusterByID(ctx, c.ID); cl.CertificateExpiry != nil {
		t.Fatalf("certificate expiry of an empty set = %v", cl.CertificateExpiry)
	}
}
