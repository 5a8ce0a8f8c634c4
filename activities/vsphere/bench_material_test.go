package vsphere

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim"
)

// This file holds what the provisioning benchmark and the session tests
// share: a vCenter registered in the real Postgres inventory, and the
// cloud-init guestinfo of realistic clusters.

// vcenterRegistry is the part of the inventory store (inventory.Store) that
// registers vCenters.
type vcenterRegistry interface {
	CreateVCenter(ctx context.Context, in domain.VCenterInput) (domain.VCenter, error)
}

// registerVCenter records vc in store the way the API does (validated,
// password sealed) and returns its id.
func registerVCenter(tb testing.TB, store vcenterRegistry, name string, vc *sim.VCenter) string {
	tb.Helper()
	creds := vc.Credentials()
	in := domain.VCenterInput{
		Name: name, Server: creds.Server, Username: creds.Username,
		Password: creds.Password, Thumbprint: creds.Thumbprint,
	}
	if err := in.Validate(); err != nil {
		tb.Fatalf("vCenter registration: %v", err)
	}
	v, err := store.CreateVCenter(context.Background(), in)
	if err != nil {
		tb.Fatalf("register vCenter: %v", err)
	}
	return v.ID
}

// benchCluster is one cluster of the benchmark's workload: a control-plane
// VM and workers, all of one shape.
type benchCluster struct {
	id    string // cluster id, the VMs' marker
	cp    string // VM name of the control plane
	works []string
}

func (c benchCluster) vms() []string { return append([]string{c.cp}, c.works...) }

// nodeShape is the size of every benchmark VM: the KubeSphere floor plus
// room, larger than the template (2 CPUs, 4 GiB, 20 GiB), so that each clone
// changes CPUs, memory and the disk.
var nodeShape = domain.NodeShape{CPUs: 4, MemoryMiB: 8192, DiskGiB: 40}

// benchClusters returns n clusters of 1 control plane and workers workers,
// named as domain.VMName names them.
func benchClusters(n, workers int) []benchCluster {
	out := make([]benchCluster, n)
	for i := range out {
		name := fmt.Sprintf("bench-%02d", i)
		c := benchCluster{id: "cluster-" + name, cp: domain.VMName(name, "cp", 0)}
		for w := range workers {
			c.works = append(c.works, domain.VMName(name, "w", w))
		}
		out[i] = c
	}
	return out
}

// renderedGuestInfo is a GuestInfoSource of pre-rendered cloud-init
// guestinfo, keyed by cluster id and VM name.
type renderedGuestInfo struct {
	mu sync.Mutex
	gi map[[2]string]map[string]string
}

// GuestInfo implements GuestInfoSource.
func (r *renderedGuestInfo) GuestInfo(_ context.Context, clusterID, vmName string) (map[string]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gi, ok := r.gi[[2]string{clusterID, vmName}]
	if !ok {
		return nil, fmt.Errorf("guestinfo of %s/%s: %w", clusterID, vmName, domain.ErrNotFound)
	}
	return gi, nil
}

// renderGuestInfo renders, with cloudinit.Render, the guestinfo that the
// provisioning code gives each VM of clusters: the control plane runs
// kubeadm init with the cluster PKI, the workers join with a token. One
// test-made PKI serves every cluster (the size of what is rendered does not
// depend on whose keys these are).
func renderGuestInfo(tb testing.TB, clusters []benchCluster) *renderedGuestInfo {
	tb.Helper()
	p, err := pki.NewClusterPKI("bench")
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		tb.Fatal(err)
	}
	_, sshKey, err := pki.NewSSHKeyPair()
	if err != nil {
		tb.Fatal(err)
	}
	caHash := pki.CACertHash(p.CA.Cert)
	files := p.Files()

	out := &renderedGuestInfo{gi: make(map[[2]string]map[string]string)}
	for ci, c := range clusters {
		endpoint := netip.AddrFrom4([4]byte{127, 30, byte(ci), 10})
		gateway := netip.AddrFrom4([4]byte{127, 30, byte(ci), 1})
		for ni, vm := range c.vms() {
			addr := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 30, byte(ci), byte(10 + ni)}), 16)
			spec := cloudinit.NodeSpec{
				Hostname: vm, Address: addr, Gateway: gateway, DNS: []string{"127.0.0.53"},
				SSHAuthorizedKey: sshKey,
			}
			if ni == 0 {
				spec.Role, spec.PKIFiles = cloudinit.RoleInit, files
				spec.Kubeadm = initConfig(c, vm, addr.Addr(), endpoint, tok)
			} else {
				spec.Role = cloudinit.RoleJoinWorker
				spec.Kubeadm = cloudinit.KubeadmConfig{Join: &cloudinit.JoinConfiguration{
					NodeRegistration: cloudinit.NodeRegistration(vm, addr.Addr()),
					Discovery: cloudinit.Discovery{BootstrapToken: &cloudinit.BootstrapTokenDiscovery{
						Token: tok.String(), APIServerEndpoint: endpoint.String() + ":6443", CACertHashes: []string{caHash},
					}},
				}}
			}
			md, ud, err := cloudinit.Render(spec)
			if err != nil {
				tb.Fatalf("render guestinfo of %s: %v", vm, err)
			}
			out.gi[[2]string{c.id, vm}] = cloudinit.EncodeGuestInfo(md, ud)
		}
	}
	return out
}

// initConfig is the kubeadm configuration of a cluster's first control plane.
func initConfig(c benchCluster, vm string, addr, endpoint netip.Addr, tok pki.BootstrapToken) cloudinit.KubeadmConfig {
	external := []cloudinit.Arg{{Name: "cloud-provider", Value: "external"}}
	return cloudinit.KubeadmConfig{
		Init: &cloudinit.InitConfiguration{
			BootstrapTokens:  []cloudinit.BootstrapToken{cloudinit.NodeBootstrapToken(tok, 24*time.Hour)},
			NodeRegistration: cloudinit.NodeRegistration(vm, addr),
			LocalAPIEndpoint: cloudinit.APIEndpoint{AdvertiseAddress: addr.String(), BindPort: 6443},
		},
		Cluster: &cloudinit.ClusterConfiguration{
			KubernetesVersion:    "v1.34.1",
			ClusterName:          c.id,
			ControlPlaneEndpoint: endpoint.String() + ":6443",
			Networking:           cloudinit.Networking{PodSubnet: "10.244.0.0/16", ServiceSubnet: "10.96.0.0/12", DNSDomain: "cluster.local"},
			APIServer: cloudinit.APIServer{
				CertSANs:  []string{endpoint.String()},
				ExtraArgs: external,
			},
			ControllerManager: cloudinit.ControlPlaneComponent{ExtraArgs: external},
			Etcd:              cloudinit.Etcd{Local: &cloudinit.LocalEtcd{DataDir: "/var/lib/etcd"}},
		},
	}
}
