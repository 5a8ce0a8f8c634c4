package node

import (
	"fmt"
	"net"
	"strconv"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// Defaults kubeadm applies to a ClusterConfiguration.
const (
	defaultAPIServerPort   = 6443
	defaultServiceSubnet   = "10.96.0.0/12"
	defaultDNSDomain       = "cluster.local"
	defaultClusterName     = "kubernetes"
	defaultImageRepository = "registry.k8s.io"
)

// withKubeadmDefaults returns a copy of cc with kubeadm's defaults filled
// in, as kubeadm uploads it to the kubeadm-config ConfigMap.
func withKubeadmDefaults(cc cloudinit.ClusterConfiguration) cloudinit.ClusterConfiguration {
	if cc.CertificatesDir == "" {
		cc.CertificatesDir = defaultCertDir
	}
	if cc.ClusterName == "" {
		cc.ClusterName = defaultClusterName
	}
	if cc.ImageRepository == "" {
		cc.ImageRepository = defaultImageRepository
	}
	if cc.Networking.ServiceSubnet == "" {
		cc.Networking.ServiceSubnet = defaultServiceSubnet
	}
	if cc.Networking.DNSDomain == "" {
		cc.Networking.DNSDomain = defaultDNSDomain
	}
	if cc.Etcd.Local == nil {
		cc.Etcd.Local = &cloudinit.LocalEtcd{}
	}
	if cc.Etcd.Local.DataDir == "" {
		local := *cc.Etcd.Local
		local.DataDir = defaultEtcdDataDir
		cc.Etcd.Local = &local
	}
	return cc
}

// controlPlaneConfig is the control plane kubeadm would set up on this node
// for cc, with the node's local API endpoint ep, laid out like kubeadm's
// files under the node's root.
func (n *Node) controlPlaneConfig(cc cloudinit.ClusterConfiguration, name string, ep cloudinit.APIEndpoint) (kubeproc.ControlPlaneConfig, error) {
	cc = withKubeadmDefaults(cc)
	ip := ep.AdvertiseAddress
	if ip == "" {
		ip = n.IP().String()
	}
	if ip != n.IP().String() {
		return kubeproc.ControlPlaneConfig{}, fmt.Errorf("advertise address %s is not the node's address %s", ip, n.IP())
	}
	port := int(ep.BindPort)
	if port == 0 {
		port = defaultAPIServerPort
	}
	if cc.KubernetesVersion == "" {
		return kubeproc.ControlPlaneConfig{}, fmt.Errorf("ClusterConfiguration has no kubernetesVersion")
	}
	endpoint := cc.ControlPlaneEndpoint
	if endpoint != "" {
		if _, _, err := net.SplitHostPort(endpoint); err != nil {
			endpoint = net.JoinHostPort(endpoint, strconv.Itoa(port)) // kubeadm's default port
		}
	}
	cfg := kubeproc.ControlPlaneConfig{
		Version: cc.KubernetesVersion,
		IP:      ip,
		Name:    name,
		Layout: kubeproc.Layout{
			CertDir:       n.path(cc.CertificatesDir),
			KubeconfigDir: n.path(kubernetesDir),
			EtcdDataDir:   n.path(cc.Etcd.Local.DataDir),
			LogDir:        n.path(componentLogDir),
			RunDir:        n.path(componentRunDir),
		},
		ClusterName:          cc.ClusterName,
		ServiceCIDR:          cc.Networking.ServiceSubnet,
		PodCIDR:              cc.Networking.PodSubnet,
		DNSDomain:            cc.Networking.DNSDomain,
		ControlPlaneEndpoint: endpoint,
		APIServerCertSANs:    cc.APIServer.CertSANs,
		Ports:                kubeproc.Ports{APIServer: port},
	}
	if cc.CertificateValidityPeriod != nil {
		cfg.LeafValidity = cc.CertificateValidityPeriod.Duration
	}
	return cfg, nil
}

// clusterServer is the URL of the cluster's API: the control-plane
// endpoint, or the first control plane's own address.
func clusterServer(cfg kubeproc.ControlPlaneConfig) string {
	if cfg.ControlPlaneEndpoint != "" {
		return "https://" + cfg.ControlPlaneEndpoint
	}
	return "https://" + net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.Ports.APIServer))
}

// localServer is the URL of the node's own API server.
func localServer(cfg kubeproc.ControlPlaneConfig) string {
	return "https://" + net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.Ports.APIServer))
}
