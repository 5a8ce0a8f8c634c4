package kubeproc

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ControlPlaneConfig describes a single-node control plane.
type ControlPlaneConfig struct {
	// Version is the Kubernetes version whose binaries run, like "v1.35.1".
	Version string
	// IP is the node's loopback address (127.0.0.0/8, e.g. 127.20.0.10); every
	// component listens on it alone.
	IP string
	// Name is the node name (the etcd member name); default "cp-" + IP.
	Name string
	// Dir holds the data (etcd), the issued certificates, the kubeconfigs
	// and the log files. It is created if needed and kept across restarts.
	Dir string
	// PKI is the cluster's CAs and service-account key pair.
	PKI PKI
	// ServiceCIDR is the Service IP range; default 10.96.0.0/12.
	ServiceCIDR string
	// PodCIDR, when set, makes the controller manager allocate node pod
	// CIDRs from it (kubeadm's --pod-network-cidr).
	PodCIDR string
	// Ports overrides the default ports; zero fields keep the defaults.
	Ports Ports
}

// PKI names the PEM files of the cluster's certificate authorities and
// service-account key pair, laid out like kubeadm's /etc/kubernetes/pki. The
// launcher issues every leaf certificate it needs from these CAs.
type PKI struct {
	CACert, CAKey                     string // ca.crt, ca.key
	EtcdCACert, EtcdCAKey             string // etcd/ca.crt, etcd/ca.key
	FrontProxyCACert, FrontProxyCAKey string // front-proxy-ca.crt, front-proxy-ca.key
	ServiceAccountKey                 string // sa.key (private)
	ServiceAccountPub                 string // sa.pub (public)
}

// Ports are the listening ports of the components. Each node has its own
// loopback address, so the defaults never collide between nodes.
type Ports struct {
	APIServer         int // default 6443
	EtcdClient        int // default 2379
	EtcdPeer          int // default 2380
	ControllerManager int // default 10257
	Scheduler         int // default 10259
}

// Default values of ControlPlaneConfig.
const (
	DefaultServiceCIDR = "10.96.0.0/12"
	// ServiceAccountIssuer is kubeadm's default issuer.
	ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
)

// withDefaults returns cfg with the defaults filled in, or an error naming
// what is wrong.
func (cfg ControlPlaneConfig) withDefaults() (ControlPlaneConfig, error) {
	var errs []error
	if cfg.Version == "" {
		errs = append(errs, errors.New("Version is required"))
	}
	ip, err := netip.ParseAddr(cfg.IP)
	if err != nil || !ip.Is4() || !ip.IsLoopback() {
		errs = append(errs, fmt.Errorf("IP %q is not an IPv4 loopback address (127.0.0.0/8)", cfg.IP))
	}
	if cfg.Dir == "" {
		errs = append(errs, errors.New("Dir is required"))
	}
	p := cfg.PKI
	for name, path := range map[string]string{
		"CACert": p.CACert, "CAKey": p.CAKey,
		"EtcdCACert": p.EtcdCACert, "EtcdCAKey": p.EtcdCAKey,
		"FrontProxyCACert": p.FrontProxyCACert, "FrontProxyCAKey": p.FrontProxyCAKey,
		"ServiceAccountKey": p.ServiceAccountKey, "ServiceAccountPub": p.ServiceAccountPub,
	} {
		if path == "" {
			errs = append(errs, fmt.Errorf("PKI.%s is required", name))
		}
	}
	if cfg.Name == "" {
		cfg.Name = "cp-" + strings.ReplaceAll(cfg.IP, ".", "-")
	}
	if cfg.ServiceCIDR == "" {
		cfg.ServiceCIDR = DefaultServiceCIDR
	}
	if _, err := netip.ParsePrefix(cfg.ServiceCIDR); err != nil {
		errs = append(errs, fmt.Errorf("ServiceCIDR: %w", err))
	}
	if cfg.PodCIDR != "" {
		if _, err := netip.ParsePrefix(cfg.PodCIDR); err != nil {
			errs = append(errs, fmt.Errorf("PodCIDR: %w", err))
		}
	}
	setDefault(&cfg.Ports.APIServer, 6443)
	setDefault(&cfg.Ports.EtcdClient, 2379)
	setDefault(&cfg.Ports.EtcdPeer, 2380)
	setDefault(&cfg.Ports.ControllerManager, 10257)
	setDefault(&cfg.Ports.Scheduler, 10259)
	if err := errors.Join(errs...); err != nil {
		return cfg, fmt.Errorf("kubeproc: invalid control plane config: %w", err)
	}
	return cfg, nil
}

func setDefault(port *int, def int) {
	if *port == 0 {
		*port = def
	}
}

// hostPort joins the node's IP and a port.
func (cfg ControlPlaneConfig) hostPort(port int) string {
	return net.JoinHostPort(cfg.IP, fmt.Sprint(port))
}

// apiServerURL is the API server's URL, like https://127.20.0.10:6443.
func (cfg ControlPlaneConfig) apiServerURL() string {
	return "https://" + cfg.hostPort(cfg.Ports.APIServer)
}

// firstServiceIP is the first address of the service range: the ClusterIP of
// the "kubernetes" Service, which the API server certificate must name.
func (cfg ControlPlaneConfig) firstServiceIP() netip.Addr {
	return netip.MustParsePrefix(cfg.ServiceCIDR).Masked().Addr().Next()
}
