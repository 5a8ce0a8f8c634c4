package bootstrap

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// APIServerPort is the port every control plane's API server listens on.
const APIServerPort = 6443

// TokenTTL is how long the bootstrap token in the first control plane's
// kubeadm configuration stays valid: long enough for every node of the
// provision to join. Later joins (scaling) make a token of their own.
const TokenTTL = 24 * time.Hour

// Cluster is what every node's configuration shares.
type Cluster struct {
	Name              string
	KubernetesVersion string
	PodCIDR           string
	ServiceCIDR       string
	// Endpoint is the control-plane endpoint, host:port: the first control
	// plane's address (there is no load balancer in front of the API
	// servers).
	Endpoint string
	Material *Material
}

// Address is a node's static network configuration, from its IP lease and
// the lease's pool.
type Address struct {
	Address netip.Prefix
	Gateway netip.Addr
	DNS     []string
}

// PoolAddress returns the network configuration of addr in pool: the
// pool's prefix length, its gateway (the first address of the CIDR when
// the pool names none) and its DNS servers.
func PoolAddress(pool domain.IPPool, addr netip.Addr) (Address, error) {
	prefix, err := netip.ParsePrefix(pool.CIDR)
	if err != nil {
		return Address{}, fmt.Errorf("ip pool %s: cidr: %w", pool.Name, err)
	}
	if !prefix.Contains(addr) {
		return Address{}, fmt.Errorf("ip pool %s: address %s is outside %s", pool.Name, addr, prefix)
	}
	gw := prefix.Masked().Addr().Next()
	if pool.Gateway != "" {
		if gw, err = netip.ParseAddr(pool.Gateway); err != nil {
			return Address{}, fmt.Errorf("ip pool %s: gateway: %w", pool.Name, err)
		}
	}
	return Address{Address: netip.PrefixFrom(addr, prefix.Bits()), Gateway: gw, DNS: pool.DNS}, nil
}

// EndpointOf is the control-plane endpoint of a cluster whose first control
// plane has address ip.
func EndpointOf(ip netip.Addr) string {
	return net.JoinHostPort(ip.String(), strconv.Itoa(APIServerPort))
}

// NodeSpec is the cloud-init of node n: `kubeadm init` for the first
// control plane (with the cluster's CAs, so that the service's certificates
// are the cluster's), `kubeadm join` with a control-plane section and the
// shared PKI for the other control planes, and a plain join for workers.
// Joins pin the cluster CA by its hash. Every node gets the cluster's SSH
// key for Day-2 access.
func NodeSpec(c Cluster, n domain.PlannedNode, addr Address) cloudinit.NodeSpec {
	m := c.Material
	reg := cloudinit.NodeRegistration(n.Name, addr.Address.Addr())
	spec := cloudinit.NodeSpec{
		Hostname:         n.Name,
		Address:          addr.Address,
		Gateway:          addr.Gateway,
		DNS:              addr.DNS,
		SSHAuthorizedKey: m.SSHAuthorizedKey,
	}
	local := cloudinit.APIEndpoint{AdvertiseAddress: addr.Address.Addr().String(), BindPort: APIServerPort}
	if n.First() {
		spec.Role = cloudinit.RoleInit
		spec.PKIFiles = m.PKI.Files()
		spec.Kubeadm = cloudinit.KubeadmConfig{
			Init: &cloudinit.InitConfiguration{
				BootstrapTokens:  []cloudinit.BootstrapToken{cloudinit.NodeBootstrapToken(m.Token, TokenTTL)},
				NodeRegistration: reg,
				LocalAPIEndpoint: local,
			},
			Cluster: &cloudinit.ClusterConfiguration{
				KubernetesVersion:    c.KubernetesVersion,
				ClusterName:          c.Name,
				ControlPlaneEndpoint: c.Endpoint,
				Networking:           cloudinit.Networking{PodSubnet: c.PodCIDR, ServiceSubnet: c.ServiceCIDR, DNSDomain: "cluster.local"},
				Etcd:                 cloudinit.Etcd{Local: &cloudinit.LocalEtcd{DataDir: "/var/lib/etcd"}},
			},
		}
		return spec
	}
	spec.Role = cloudinit.RoleJoinWorker
	spec.Kubeadm = cloudinit.KubeadmConfig{Join: &cloudinit.JoinConfiguration{
		NodeRegistration: reg,
		Discovery: cloudinit.Discovery{BootstrapToken: &cloudinit.BootstrapTokenDiscovery{
			Token:             m.Token.String(),
			APIServerEndpoint: c.Endpoint,
			CACertHashes:      []string{pki.CACertHash(m.PKI.CA.Cert)},
		}},
	}}
	if n.Role == domain.RoleNameControlPlane {
		spec.Role = cloudinit.RoleJoinControlPlane
		spec.Kubeadm.Join.ControlPlane = &cloudinit.JoinControlPlane{LocalAPIEndpoint: local}
		spec.PKIFiles = m.PKI.Files()
	}
	return spec
}
