package inventory_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

// newVIPCluster records a cluster of 3 control planes and 1 worker whose network is
// network, in a fresh inventory with the pool "lab" (10.0.0.10-20 of 10.0.0.0/24).
func newVIPCluster(t *testing.T, network domain.NetworkSpec) (*inventory.Store, domain.Cluster) {
	t.Helper()
	ctx := t.Context()
	s := inventorytest.NewStore(t)
	if _, err := s.CreateVCenter(ctx, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIPPool(ctx, domain.IPPoolInput{Name: "lab", CIDR: "10.0.0.0/24", RangeStart: "10.0.0.10",
		RangeEnd: "10.0.0.20", Gateway: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	network.IPPool, network.PodCIDR, network.ServiceCIDR = "lab", "10.10.0.0/16", "10.96.0.0/16"
	spec := domain.ClusterSpec{Name: "c1", VCenter: "vc1", KubernetesVersion: "v1.35.1",
		ControlPlane: domain.NodeShape{Replicas: 3, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools:  []domain.WorkerPool{{Name: "w", NodeShape: domain.NodeShape{Replicas: 1, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}},
		Network:      network}
	c, err := s.CreateCluster(ctx, spec, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// TestAllocateControlPlaneVIPFromPool leases the VIP from the pool after the nodes'
// addresses: the endpoint is the VIP, a retry keeps it, the control planes' cloud-init
// carries kube-vip's static Pod (super-admin.conf on the first) and kubeadm names the
// VIP; the workers get no kube-vip; the release frees it with the nodes' leases.
func TestAllocateControlPlaneVIPFromPool(t *testing.T) {
	s, c := newVIPCluster(t, domain.NetworkSpec{})
	ctx := t.Context()
	src := &bootstrap.Source{Store: s}
	acts := &invacts.ClusterActivities{Store: s, Bootstrap: src}
	addrs, err := acts.AllocateAddresses(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := acts.AllocateControlPlaneVIP(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if endpoint != "10.0.0.14:6443" || endpoint == addrs.Endpoint {
		t.Errorf("endpoint %s (the first control plane's: %s), want the next free address 10.0.0.14:6443", endpoint, addrs.Endpoint)
	}
	if again, err := acts.AllocateControlPlaneVIP(ctx, c.ID); err != nil || again != endpoint {
		t.Errorf("retried allocation = %s, %v", again, err)
	}
	got, err := s.GetClusterByID(ctx, c.ID)
	if err != nil || got.ControlPlaneEndpoint != endpoint {
		t.Fatalf("recorded endpoint %q, %v", got.ControlPlaneEndpoint, err)
	}
	if err := acts.PrepareBootstrap(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	kc, _ := src.AdminKubeconfig(ctx, c.ID)
	if !strings.Contains(string(kc), "server: https://"+endpoint) {
		t.Errorf("admin kubeconfig does not point at the VIP:\n%s", kc)
	}
	checkKubeVIP(t, src, c.ID, netip.MustParseAddr("10.0.0.14"))

	if n, err := acts.ReleaseAddresses(ctx, c.ID); err != nil || n != 5 {
		t.Errorf("released %d leases (%v), want 4 nodes and the VIP", n, err)
	}
}

// TestAllocateControlPlaneVIPGiven takes the VIP the spec gives: leased when it lies in
// the pool's range, refused for good when another holds it, not leased outside the
// range.
func TestAllocateControlPlaneVIPGiven(t *testing.T) {
	for name, tc := range map[string]struct {
		vip    string
		leased bool
	}{
		"in the range":     {"10.0.0.20", true},
		"off the range":    {"10.0.0.200", false},
		"held by the node": {"10.0.0.10", false},
	} {
		t.Run(name, func(t *testing.T) {
			s, c := newVIPCluster(t, domain.NetworkSpec{ControlPlaneEndpoint: tc.vip})
			ctx := t.Context()
			acts := &invacts.ClusterActivities{Store: s, Bootstrap: &bootstrap.Source{Store: s}}
			if _, err := acts.AllocateAddresses(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			endpoint, err := acts.AllocateControlPlaneVIP(ctx, c.ID)
			if name == "held by the node" {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != invacts.ErrTypeVIPUnavailable || !appErr.NonRetryable() {
					t.Fatalf("VIP held by a node: %v, want a non-retryable %s", err, invacts.ErrTypeVIPUnavailable)
				}
				return
			}
			if err != nil || endpoint != tc.vip+":6443" {
				t.Fatalf("endpoint %s, %v", endpoint, err)
			}
			leases, _ := s.ClusterLeases(ctx, c.ID)
			if got, ok := leases[domain.VIPLeaseOwner("c1")]; ok != tc.leased || (ok && got.String() != tc.vip) {
				t.Errorf("VIP lease %v (%v), want leased=%v", got, ok, tc.leased)
			}
			if err := acts.PrepareBootstrap(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			checkKubeVIP(t, &bootstrap.Source{Store: s}, c.ID, netip.MustParseAddr(tc.vip))
		})
	}
}

// TestGuestInfoWithoutVIP: a cluster recorded with its first control plane's address as
// its endpoint (made before the VIP) gets no kube-vip.
func TestGuestInfoWithoutVIP(t *testing.T) {
	s, c := newVIPCluster(t, domain.NetworkSpec{})
	ctx := t.Context()
	src := &bootstrap.Source{Store: s}
	acts := &invacts.ClusterActivities{Store: s, Bootstrap: src}
	addrs, err := acts.AllocateAddresses(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := acts.PrepareBootstrap(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c1-cp-0", "c1-cp-1", "c1-w-0"} {
		n := parsedGuestInfo(t, src, c.ID, name)
		if len(n.StaticPods) != 0 {
			t.Errorf("%s: static Pods %v on a cluster without a VIP", name, n.StaticPods)
		}
		if cc := n.Kubeadm.Cluster; cc != nil && (cc.ControlPlaneEndpoint != addrs.Endpoint || len(cc.APIServer.CertSANs) != 0) {
			t.Errorf("%s: ClusterConfiguration endpoint %s, SANs %v", name, cc.ControlPlaneEndpoint, cc.APIServer.CertSANs)
		}
	}
}

// checkKubeVIP checks every node's cloud-init for a cluster whose VIP is vip.
func checkKubeVIP(t *testing.T, src *bootstrap.Source, clusterID string, vip netip.Addr) {
	t.Helper()
	endpoint := vip.String() + ":6443"
	for name, kubeconfig := range map[string]string{"c1-cp-0": cloudinit.SuperAdminConfPath, "c1-cp-1": cloudinit.AdminConfPath,
		"c1-cp-2": cloudinit.AdminConfPath, "c1-w-0": ""} {
		n := parsedGuestInfo(t, src, clusterID, name)
		manifest, ok := n.StaticPods["kube-vip.yaml"]
		if ok != (kubeconfig != "") {
			t.Errorf("%s: kube-vip manifest present = %v", name, ok)
			continue
		}
		if ok {
			for _, want := range []string{"name: vip_address\n      value: " + vip.String(), "name: vip_leasename\n      value: plndr-cp-lock",
				"name: cp_enable\n      value: \"true\"", "name: vip_leaderelection\n      value: \"true\"", "path: " + kubeconfig} {
				if !strings.Contains(string(manifest), want) {
					t.Errorf("%s: kube-vip manifest lacks %q:\n%s", name, want, manifest)
				}
			}
		}
		switch {
		case n.Kubeadm.Cluster != nil:
			cc := n.Kubeadm.Cluster
			if cc.ControlPlaneEndpoint != endpoint || len(cc.APIServer.CertSANs) != 1 || cc.APIServer.CertSANs[0] != vip.String() {
				t.Errorf("%s: controlPlaneEndpoint %s, certSANs %v", name, cc.ControlPlaneEndpoint, cc.APIServer.CertSANs)
			}
		case n.Kubeadm.Join != nil:
			if got := n.Kubeadm.Join.Discovery.BootstrapToken.APIServerEndpoint; got != endpoint {
				t.Errorf("%s: discovers through %s, want the VIP", name, got)
			}
		}
	}
}

// parsedGuestInfo is node name's cloud-init, as the node parses it.
func parsedGuestInfo(t *testing.T, src *bootstrap.Source, clusterID, name string) *cloudinit.Node {
	t.Helper()
	gi, err := src.GuestInfo(context.WithoutCancel(t.Context()), clusterID, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	md, ud, err := cloudinit.DecodeGuestInfo(gi)
	if err != nil {
		t.Fatal(err)
	}
	n, err := cloudinit.ParseNode(md, ud)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}
