package bootstrap

import (
	"fmt"
	"net"
	"net/netip"
	"path"
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
	// Endpoint is the control-plane endpoint, host:port: the control-plane
	// virtual IP when VIP is set, else (clusters made before the VIP) the
	// first control plane's address.
	Endpoint string
	// VIP is the control-plane virtual IP, the host of Endpoint, that
	// kube-vip serves on the control planes; the zero value means none.
	VIP      netip.Addr
	Material *Material
	// CertificateKey, when set, is the certificate key of the kubeadm-certs
	// Secret that the service uploaded for a joining control plane: such a
	// node gets it instead of the shared PKI.
	CertificateKey string
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
// A joining control plane gets the certificate key of the uploaded
// kubeadm-certs Secret instead, when c has one. Joins pin the cluster CA by
// its hash. Every node gets the cluster's SSH
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
		if c.VIP.IsValid() {
			// kubeadm names controlPlaneEndpoint's host in the API server
			// certificate anyway; saying it keeps it there through any renewal.
			spec.Kubeadm.Cluster.APIServer.CertSANs = []string{c.VIP.String()}
			spec.StaticPods = kubeVIPPods(c.VIP, cloudinit.SuperAdminConfPath)
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
		spec.Kubeadm.Join.ControlPlane = &cloudinit.JoinControlPlane{LocalAPIEndpoint: local, CertificateKey: c.CertificateKey}
		if c.CertificateKey == "" {
			spec.PKIFiles = m.PKI.Files() // a join without an uploaded kubeadm-certs
		}
		if c.VIP.IsValid() {
			spec.StaticPods = kubeVIPPods(c.VIP, cloudinit.AdminConfPath)
		}
	}
	return spec
}

// kubeVIPPods is the static Pod manifest of kube-vip serving vip, using the
// kubeconfig at the host path kubeconfig. The manifest is rendered from
// fixed, validated values, so rendering does not fail.
func kubeVIPPods(vip netip.Addr, kubeconfig string) map[string][]byte {
	manifest, err := cloudinit.KubeVIPManifest(cloudinit.KubeVIP{Address: vip, Port: APIServerPort, Kubeconfig: kubeconfig})
	if err != nil {
		panic(err) // a valid address and the fixed port always render
	}
	return map[string][]byte{path.Base(cloudinit.KubeVIPManifestPath): manifest}
}

// VIPOf returns the control-plane virtual IP of a cluster whose endpoint
// (host:port) is endpoint: its host when the cluster has a VIP (a lease of
// its pool, or an address its spec gives), else none (a cluster made before
// the VIP, whose endpoint is its first control plane's address).
func VIPOf(endpoint string, hasVIP bool) netip.Addr {
	if !hasVIP {
		return netip.Addr{}
	}
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return netip.Addr{}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip
}
