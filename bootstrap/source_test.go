package bootstrap_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/pki"
)

// newCluster records a cluster of 3 control planes and 2 workers with leases, in a
// fresh inventory, and returns the store and the cluster.
func newCluster(t *testing.T) (*inventory.Store, domain.Cluster) {
	t.Helper()
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	if _, err := s.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIPPool(ctx, domain.IPPoolInput{Name: "lab", CIDR: "10.0.0.0/24", RangeStart: "10.0.0.10",
		RangeEnd: "10.0.0.50", Gateway: "10.0.0.1", DNS: []string{"10.0.0.2"}}); err != nil {
		t.Fatal(err)
	}
	spec := domain.ClusterSpec{Name: "c1", VCenter: "vc1", KubernetesVersion: domain.KubernetesVersions().Default,
		ControlPlane: domain.NodeShape{Replicas: 3, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools:  []domain.WorkerPool{{Name: "w", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}},
		Network:      domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"}}
	c, err := s.CreateCluster(ctx, spec, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range domain.PlanNodes(spec) {
		ip, err := s.LeaseIP(ctx, "lab", c.ID, n.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n.First() {
			if err := s.SetControlPlaneEndpoint(ctx, c.ID, bootstrap.EndpointOf(ip)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err = s.GetClusterByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestPrepareIsIdempotent(t *testing.T) {
	s, c := newCluster(t)
	src := &bootstrap.Source{Store: s}
	ctx := context.Background()
	if _, err := src.Material(ctx, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("material before Prepare: %v, want not found", err)
	}
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	first, err := src.Material(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	kc1, _ := src.AdminKubeconfig(ctx, c.ID)
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	second, _ := src.Material(ctx, c.ID)
	kc2, _ := src.AdminKubeconfig(ctx, c.ID)
	if !bytes.Equal(first.PKI.CA.CertPEM, second.PKI.CA.CertPEM) || first.Token != second.Token || !bytes.Equal(kc1, kc2) {
		t.Fatal("a second Prepare replaced the material")
	}
	pw, _ := src.KubeSphereAdminPassword(ctx, c.ID)
	if len(pw) != 24 {
		t.Errorf("KubeSphere password of %d characters", len(pw))
	}
	if !bytes.Contains(kc1, []byte("https://"+c.ControlPlaneEndpoint)) {
		t.Errorf("kubeconfig does not point at %s", c.ControlPlaneEndpoint)
	}
}

func TestGuestInfoPerRole(t *testing.T) {
	s, c := newCluster(t)
	src := &bootstrap.Source{Store: s}
	ctx := context.Background()
	if err := src.Prepare(ctx, c.ID, c.ControlPlaneEndpoint); err != nil {
		t.Fatal(err)
	}
	m, _ := src.Material(ctx, c.ID)
	leases, _ := s.ClusterLeases(ctx, c.ID)
	wantRole := map[string]cloudinit.Role{"c1-cp-0": cloudinit.RoleInit, "c1-cp-1": cloudinit.RoleJoinControlPlane,
		"c1-cp-2": cloudinit.RoleJoinControlPlane, "c1-w-0": cloudinit.RoleJoinWorker, "c1-w-1": cloudinit.RoleJoinWorker}
	for name, role := range wantRole {
		gi, err := src.GuestInfo(ctx, c.ID, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		md, ud, err := cloudinit.DecodeGuestInfo(gi)
		if err != nil {
			t.Fatal(err)
		}
		node, err := cloudinit.ParseNode(md, ud)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if node.Role != role || node.Hostname != name || node.Address.Addr() != leases[name] ||
			node.Gateway != netip.MustParseAddr("10.0.0.1") || node.Address.Bits() != 24 {
			t.Errorf("%s: role %s, host %s, address %s, gateway %s", name, node.Role, node.Hostname, node.Address, node.Gateway)
		}
		hasCAKey := len(node.PKIFiles[pki.CAKeyFile]) > 0
		if hasCAKey != (role != cloudinit.RoleJoinWorker) {
			t.Errorf("%s: CA key present = %v", name, hasCAKey)
		}
		if node.SSHAuthorizedKey != m.SSHAuthorizedKey {
			t.Errorf("%s: SSH key differs", name)
		}
		if join := node.Kubeadm.Join; join != nil {
			d := join.Discovery.BootstrapToken
			if d.APIServerEndpoint != c.ControlPlaneEndpoint || d.CACertHashes[0] != pki.CACertHash(m.PKI.CA.Cert) {
				t.Errorf("%s: discovery %+v", name, d)
			}
		}
	}
	if _, err := src.GuestInfo(ctx, c.ID, "c1-w-9"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unplanned node: %v, want not found", err)
	}
}
