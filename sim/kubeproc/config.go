package kubeproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"
)

// ControlPlaneConfig describes the control plane of one node.
type ControlPlaneConfig struct {
	// Version is the Kubernetes version whose binaries run, like "v1.35.1".
	Version string
	// IP is the node's loopback address (127.0.0.0/8, e.g. 127.20.0.10); every
	// component listens on it alone.
	IP string
	// Name is the node name (the etcd member name and a name in the serving
	// certificates); default "cp-" + IP with dashes.
	Name string
	// Dir is the root of the default Layout: leaf certificates in Dir/pki,
	// kubeconfigs in Dir, etcd data in Dir/etcd, logs in Dir/logs. It is
	// required unless every Layout field is set.
	Dir string
	// Layout overrides where the files go; empty fields default from Dir.
	Layout Layout
	// PKI is the cluster's CAs and service-account key pair. When it is left
	// empty, the files are taken from Layout.CertDir with kubeadm's names
	// (see KubeadmPKI).
	PKI PKI
	// ClusterName is the controller manager's --cluster-name; default "kubernetes".
	ClusterName string
	// ServiceCIDR is the Service IP range; default 10.96.0.0/12.
	ServiceCIDR string
	// PodCIDR, when set, makes the controller manager allocate node pod
	// CIDRs from it (kubeadm's --pod-network-cidr).
	PodCIDR string
	// DNSDomain is the cluster's DNS domain; default "cluster.local".
	DNSDomain string
	// ControlPlaneEndpoint is the cluster's shared API address (host:port,
	// kubeadm's controlPlaneEndpoint). admin.conf and super-admin.conf point
	// at it and its host is a subject alternative name of the API server
	// certificate. Empty means this node's own API server.
	ControlPlaneEndpoint string
	// APIServerCertSANs are further subject alternative names (IP addresses
	// or DNS names) of the API server certificate (kubeadm's certSANs).
	APIServerCertSANs []string
	// LeafValidity is the lifetime of the leaf certificates issued; default
	// one year (kubeadm's certificateValidityPeriod).
	LeafValidity time.Duration
	// Etcd says whether the local etcd member starts a new cluster or joins one.
	Etcd EtcdConfig
	// Ports overrides the default ports; zero fields keep the defaults.
	Ports Ports
}

// Layout says where a control plane keeps its files. On a simulated node it
// is kubeadm's layout under the node's root directory.
type Layout struct {
	// CertDir receives the leaf certificates, with kubeadm's names
	// (apiserver.crt, etcd/server.crt, ...): /etc/kubernetes/pki.
	CertDir string
	// KubeconfigDir receives admin.conf, super-admin.conf,
	// controller-manager.conf and scheduler.conf: /etc/kubernetes.
	KubeconfigDir string
	// EtcdDataDir is etcd's data directory: /var/lib/etcd.
	EtcdDataDir string
	// LogDir receives one log file per component.
	LogDir string
	// RunDir receives the serving certificates of the controller manager and
	// the scheduler, which kubeadm leaves to the components themselves:
	// /var/run/kubernetes.
	RunDir string
}

// EtcdConfig describes the local etcd member's place in its cluster.
type EtcdConfig struct {
	// InitialCluster lists every member, this one included, as
	// "name=https://ip:2380"; empty means a cluster of this member alone.
	InitialCluster []string
	// Join means the member has been added to a running cluster (etcd's
	// --initial-cluster-state=existing).
	Join bool
	// OnStarted, if set, is called once the local member answers and before
	// kube-apiserver starts. A member that joined as a learner promotes
	// itself there, as kubeadm join does.
	OnStarted func(ctx context.Context) error `json:"-"`
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

// KubeadmPKI returns the paths of the shared cluster PKI in a kubeadm
// certificates directory (/etc/kubernetes/pki).
func KubeadmPKI(certDir string) PKI {
	p := func(name string) string { return filepath.Join(certDir, name) }
	return PKI{
		CACert: p("ca.crt"), CAKey: p("ca.key"),
		EtcdCACert: p("etcd/ca.crt"), EtcdCAKey: p("etcd/ca.key"),
		FrontProxyCACert: p("front-proxy-ca.crt"), FrontProxyCAKey: p("front-proxy-ca.key"),
		ServiceAccountKey: p("sa.key"), ServiceAccountPub: p("sa.pub"),
	}
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
	DefaultClusterName = "kubernetes"
	DefaultDNSDomain   = "cluster.local"
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
	l := &cfg.Layout
	if cfg.Dir == "" && (l.CertDir == "" || l.KubeconfigDir == "" || l.EtcdDataDir == "" || l.LogDir == "" || l.RunDir == "") {
		errs = append(errs, errors.New("Dir is required unless every Layout directory is set"))
	}
	setDefaultPath(&l.CertDir, cfg.Dir, "pki")
	setDefaultPath(&l.KubeconfigDir, cfg.Dir, "")
	setDefaultPath(&l.EtcdDataDir, cfg.Dir, "etcd")
	setDefaultPath(&l.LogDir, cfg.Dir, "logs")
	setDefaultPath(&l.RunDir, cfg.Dir, "run")
	if cfg.PKI == (PKI{}) && l.CertDir != "" {
		cfg.PKI = KubeadmPKI(l.CertDir)
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
	if cfg.ClusterName == "" {
		cfg.ClusterName = DefaultClusterName
	}
	if cfg.DNSDomain == "" {
		cfg.DNSDomain = DefaultDNSDomain
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
	if cfg.ControlPlaneEndpoint != "" {
		if _, _, err := net.SplitHostPort(cfg.ControlPlaneEndpoint); err != nil {
			errs = append(errs, fmt.Errorf("ControlPlaneEndpoint: %w", err))
		}
	}
	if cfg.LeafValidity < 0 {
		errs = append(errs, fmt.Errorf("LeafValidity %s is negative", cfg.LeafValidity))
	}
	if cfg.LeafValidity == 0 {
		cfg.LeafValidity = defaultLeafValidity
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

func setDefaultPath(path *string, dir, rel string) {
	if *path == "" && dir != "" {
		*path = filepath.Join(dir, rel)
	}
}

// hostPort joins the node's IP and a port.
func (cfg ControlPlaneConfig) hostPort(port int) string {
	return net.JoinHostPort(cfg.IP, fmt.Sprint(port))
}

// apiServerURL is the local API server's URL, like https://127.20.0.10:6443.
func (cfg ControlPlaneConfig) apiServerURL() string {
	return "https://" + cfg.hostPort(cfg.Ports.APIServer)
}

// clusterURL is the URL admin.conf points at: the control-plane endpoint,
// or the local API server.
func (cfg ControlPlaneConfig) clusterURL() string {
	if cfg.ControlPlaneEndpoint != "" {
		return "https://" + cfg.ControlPlaneEndpoint
	}
	return cfg.apiServerURL()
}

// etcdClientURL is the local etcd member's client URL.
func (cfg ControlPlaneConfig) etcdClientURL() string {
	return "https://" + cfg.hostPort(cfg.Ports.EtcdClient)
}

// EtcdPeerURL is the local etcd member's peer URL, as listed in
// EtcdConfig.InitialCluster.
func (cfg ControlPlaneConfig) EtcdPeerURL() string {
	port := cfg.Ports.EtcdPeer
	if port == 0 {
		port = 2380
	}
	return "https://" + cfg.hostPort(port)
}

// firstServiceIP is the first address of the service range: the ClusterIP of
// the "kubernetes" Service, which the API server certificate must name.
func (cfg ControlPlaneConfig) firstServiceIP() netip.Addr {
	return netip.MustParsePrefix(cfg.ServiceCIDR).Masked().Addr().Next()
}
