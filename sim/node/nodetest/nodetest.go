// Package nodetest builds the bootstrap material of test clusters by hand
// (cluster PKI, bootstrap token, SSH key) and renders their nodes' cloud-init
// with the provisioning code itself (package bootstrap), for tests of the
// simulated datacenter.
package nodetest

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
)

// Cluster is the material a provisioning run has for one cluster.
type Cluster struct {
	Name    string
	Version string
	PKI     *pki.ClusterPKI
	Token   pki.BootstrapToken
	// CAHash pins the cluster CA for joining nodes.
	CAHash string
	// Endpoint is the controlPlaneEndpoint (host:port): the first control
	// plane's address, as there is no load balancer.
	Endpoint      string
	PodSubnet     string
	ServiceSubnet string
	SSHKey        string
	Gateway       netip.Addr
	// VIP, when set (UseVIP), is the control-plane virtual IP that the control
	// planes' kube-vip serves, and Endpoint is on it.
	VIP netip.Addr
}

// UseVIP makes vip the cluster's control-plane virtual IP and endpoint, as a
// provision that allocates one does: its control planes get kube-vip.
func (c *Cluster) UseVIP(vip string) {
	c.VIP = netip.MustParseAddr(vip)
	c.Endpoint = net.JoinHostPort(vip, "6443")
}

// NewCluster creates the PKI and a bootstrap token of a cluster whose first
// control plane will have the address endpointIP.
func NewCluster(name, version, endpointIP string) (*Cluster, error) {
	p, err := pki.NewClusterPKI(name)
	if err != nil {
		return nil, err
	}
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		return nil, err
	}
	_, sshKey, err := pki.NewSSHKeyPair()
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(endpointIP)
	if err != nil {
		return nil, err
	}
	gw := netip.AddrFrom4([4]byte{ip.As4()[0], ip.As4()[1], ip.As4()[2], 1})
	return &Cluster{
		Name:          name,
		Version:       version,
		PKI:           p,
		Token:         tok,
		CAHash:        pki.CACertHash(p.CA.Cert),
		Endpoint:      net.JoinHostPort(endpointIP, "6443"),
		PodSubnet:     "10.244.0.0/16",
		ServiceSubnet: "10.96.0.0/12",
		SSHKey:        sshKey,
		Gateway:       gw,
	}, nil
}

// material is the cluster's bootstrap material as provisioning keeps it.
func (c *Cluster) material() bootstrap.Cluster {
	return bootstrap.Cluster{
		Name: c.Name, KubernetesVersion: c.Version, PodCIDR: c.PodSubnet, ServiceCIDR: c.ServiceSubnet, Endpoint: c.Endpoint, VIP: c.VIP,
		Material: &bootstrap.Material{PKI: c.PKI, Token: c.Token, SSHAuthorizedKey: c.SSHKey},
	}
}

// nodeSpec renders node n at address ip (/24, the cluster's gateway) with the
// production code that renders every node's cloud-init.
func (c *Cluster) nodeSpec(n domain.PlannedNode, ip string) cloudinit.NodeSpec {
	addr := bootstrap.Address{Address: netip.MustParsePrefix(ip + "/24"), Gateway: c.Gateway}
	return bootstrap.NodeSpec(c.material(), n, addr)
}

// InitNode is the spec of the first control-plane node (kubeadm init).
func (c *Cluster) InitNode(hostname, ip string) cloudinit.NodeSpec {
	spec := c.nodeSpec(domain.PlannedNode{Name: hostname, Role: domain.RoleNameControlPlane, Index: 0}, ip)
	spec.Kubeadm.Cluster.APIServer.CertSANs = append(spec.Kubeadm.Cluster.APIServer.CertSANs, c.Name+".clusters.example.com")
	return spec
}

// WorkerNode is the spec of a worker (kubeadm join).
func (c *Cluster) WorkerNode(hostname, ip string) cloudinit.NodeSpec {
	return c.nodeSpec(domain.PlannedNode{Name: hostname, Role: domain.RoleNameWorker}, ip)
}

// ControlPlaneNode is the spec of a further control-plane node (kubeadm
// join with a controlPlane section and the shared PKI).
func (c *Cluster) ControlPlaneNode(hostname, ip string) cloudinit.NodeSpec {
	return c.nodeSpec(domain.PlannedNode{Name: hostname, Role: domain.RoleNameControlPlane, Index: 1}, ip)
}

// GuestInfo renders spec and returns the VM extraConfig entries that carry it.
func (c *Cluster) GuestInfo(spec cloudinit.NodeSpec) (map[string]string, error) {
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		return nil, err
	}
	return cloudinit.EncodeGuestInfo(md, ud), nil
}

// AdminConfig is a client configuration for the cluster's API at server
// (host:port) as the service's bootstrap administrator, verifying the
// serving certificate against the cluster CA.
func (c *Cluster) AdminConfig(server string) (*rest.Config, error) {
	kubeconfig, err := pki.AdminKubeconfig(c.Name, "https://"+server, c.PKI.CA)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("admin kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cfg.Timeout = 30 * time.Second
	return cfg, nil
}

// AdminClient is a clientset for AdminConfig.
func (c *Cluster) AdminClient(server string) (kubernetes.Interface, error) {
	cfg, err := c.AdminConfig(server)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}
