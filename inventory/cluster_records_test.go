package inventory_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

func TestClusterRecords(t *testing.T) {
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	spec := domain.ClusterSpec{Name: "dev-east", VCenter: "vc1"}
	if _, err := s.CreateCluster(ctx, spec, "alice"); err == nil {
		t.Fatal("a cluster of an unknown vCenter was created")
	} else if v, ok := domain.AsValidation(err); !ok || v.Fields[0].Field != "vcenter" {
		t.Fatalf("unknown vcenter: %v", err)
	}
	vin := domain.VCenterInput{Name: "vc1", Server: "vc", Username: "u", Password: "p"}
	_ = vin.Validate()
	if _, err := s.CreateVCenter(ctx, vin); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCluster(ctx, spec, "alice")
	if err != nil || c.Phase != domain.PhasePending || c.VCenter != "vc1" || c.CreatedBy != "alice" {
		t.Fatalf("create = %+v, %v", c, err)
	}
	if _, err := s.CreateCluster(ctx, spec, "bob"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate = %v", err)
	}

	secret := []byte("-----BEGIN EC PRIVATE KEY----- CANARY")
	if err := s.PutClusterSecret(ctx, c.ID, "pki/ca.key", secret); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := s.Pool().QueryRow(ctx, `SELECT sealed FROM cluster_secrets WHERE cluster_id = $1`, c.ID).Scan(&raw); err != nil || bytes.Contains(raw, []byte("CANARY")) {
		t.Fatalf("secret stored in clear (%v)", err)
	}
	got, err := s.ClusterSecret(ctx, c.ID, "pki/ca.key")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("secret = %q, %v", got, err)
	}
	if _, err := s.ClusterSecret(ctx, c.ID, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing secret = %v", err)
	}
	// One secret goes alone, and going again is no error.
	if err := s.PutClusterSecret(ctx, c.ID, "join-token", []byte("abcdef.0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.DeleteClusterSecret(ctx, c.ID, "join-token"); err != nil {
			t.Fatalf("delete one secret: %v", err)
		}
	}
	if _, err := s.ClusterSecret(ctx, c.ID, "join-token"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted secret = %v", err)
	}
	if got, err := s.ClusterSecret(ctx, c.ID, "pki/ca.key"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("another secret after deleting one = %q, %v", got, err)
	}

	for _, n := range []inventory.NodeRecord{
		{ClusterID: c.ID, Name: "dev-east-cp-0", Role: "control-plane", IP: "127.20.0.10", VMName: "dev-east-cp-0", VMMoref: "vm-1"},
		{ClusterID: c.ID, Name: "dev-east-default-0", Role: "worker", Pool: "default", VMName: "dev-east-default-0"},
	} {
		if err := s.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	// A later update keeps what it does not say.
	if err := s.UpsertNode(ctx, inventory.NodeRecord{ClusterID: c.ID, Name: "dev-east-cp-0", Role: "control-plane", KubeletVersion: "v1.34.2", Ready: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertAddon(ctx, c.ID, domain.Addon{Name: "antrea", ChartVersion: "2.7.0", Status: "deployed"}, "antrea", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClusterPhase(ctx, c.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}
	c, err = s.GetCluster(ctx, "dev-east")
	if err != nil || c.Phase != domain.PhaseReady || len(c.Nodes) != 2 || len(c.Addons) != 1 {
		t.Fatalf("cluster = %+v, %v", c, err)
	}
	cp := c.Nodes[0]
	if cp.Name != "dev-east-cp-0" || cp.IP != "127.20.0.10" || cp.VM != "vm-1" || cp.KubeletVersion != "v1.34.2" || !cp.Ready {
		t.Fatalf("control-plane node = %+v", cp)
	}

	if n, err := s.DeleteClusterSecrets(ctx, c.ID); err != nil || n != 1 {
		t.Fatalf("delete secrets = %d, %v", n, err)
	}
	if err := s.SetClusterPhase(ctx, c.ID, domain.PhaseDeleted, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCluster(ctx, "dev-east"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted cluster still listed: %v", err)
	}
	if _, err := s.CreateCluster(ctx, spec, "alice"); err != nil {
		t.Fatalf("the name of a deleted cluster cannot be reused: %v", err)
	}
	if old, err := s.GetClusterByID(ctx, c.ID); err != nil || old.Phase != domain.PhaseDeleted {
		t.Fatalf("deleted cluster by id = %+v, %v", old, err)
	}
}
