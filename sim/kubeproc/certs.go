package kubeproc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// Identities in the kubeconfig files, as kubeadm (1.29 and later) writes them.
const (
	// AdminUser in the group AdminGroup is admin.conf's identity; kubeadm
	// binds that group to cluster-admin (ClusterRoleBinding kubeadm:cluster-admins).
	AdminUser  = "kubernetes-admin"
	AdminGroup = "kubeadm:cluster-admins"
	// SuperAdminUser in system:masters is super-admin.conf's identity, which
	// bypasses authorization.
	SuperAdminUser = "kubernetes-super-admin"
)

// Names of the kubeconfig files in Layout.KubeconfigDir.
const (
	AdminConf             = "admin.conf"
	SuperAdminConf        = "super-admin.conf"
	ControllerManagerConf = "controller-manager.conf"
	SchedulerConf         = "scheduler.conf"
)

// certs are the credentials a control plane runs with.
type certs struct {
	caPEM []byte

	// Files in Layout.CertDir (kubeadm's names) and Layout.RunDir.
	apiServer, apiServerKubeletClient, apiServerEtcdClient, frontProxyClient certFiles
	etcdServer, etcdPeer, etcdHealthcheckClient                              certFiles
	cmServing, schedServing                                                  certFiles

	// apiServerEtcd is the API server's etcd client certificate, with which
	// the launcher probes etcd.
	apiServerEtcd issued
	// superAdmin is super-admin.conf's client certificate.
	superAdmin issued
	// issued names the files written anew by this call.
	issued []string
}

// EnsureCertificates does what kubeadm's "certs" and "kubeconfig" phases
// do for cfg: it makes sure that every leaf certificate and kubeconfig of
// the control plane exists in cfg.Layout and is valid, issuing from the CAs
// of cfg.PKI only those that are missing, expired or no longer fit (another
// CA, a missing subject alternative name). Start calls it; a node joining as
// a control plane calls it first to reach etcd with its client certificate.
func EnsureCertificates(cfg ControlPlaneConfig) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if _, err := ensureCerts(cfg); err != nil {
		return fmt.Errorf("kubeproc: certificates: %w", err)
	}
	return nil
}

// ensureCerts loads the CAs named in cfg.PKI and ensures every leaf
// certificate and kubeconfig the control plane needs.
func ensureCerts(cfg ControlPlaneConfig) (*certs, error) {
	return loadCerts(cfg, false)
}

// loadCerts is ensureCerts; with renew, every certificate that `kubeadm
// certs renew all` renews is issued anew even if it is still valid.
func loadCerts(cfg ControlPlaneConfig, renew bool) (*certs, error) {
	ca, err := loadAuthority(cfg.PKI.CACert, cfg.PKI.CAKey)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	etcdCA, err := loadAuthority(cfg.PKI.EtcdCACert, cfg.PKI.EtcdCAKey)
	if err != nil {
		return nil, fmt.Errorf("etcd CA: %w", err)
	}
	frontProxyCA, err := loadAuthority(cfg.PKI.FrontProxyCACert, cfg.PKI.FrontProxyCAKey)
	if err != nil {
		return nil, fmt.Errorf("front-proxy CA: %w", err)
	}
	caPEM, err := os.ReadFile(cfg.PKI.CACert)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}

	l := cfg.Layout
	c := &certs{
		caPEM:                  caPEM,
		apiServer:              pairFiles(l.CertDir, "apiserver"),
		apiServerKubeletClient: pairFiles(l.CertDir, "apiserver-kubelet-client"),
		apiServerEtcdClient:    pairFiles(l.CertDir, "apiserver-etcd-client"),
		frontProxyClient:       pairFiles(l.CertDir, "front-proxy-client"),
		etcdServer:             pairFiles(l.CertDir, "etcd/server"),
		etcdPeer:               pairFiles(l.CertDir, "etcd/peer"),
		etcdHealthcheckClient:  pairFiles(l.CertDir, "etcd/healthcheck-client"),
		cmServing:              pairFiles(l.RunDir, "kube-controller-manager"),
		schedServing:           pairFiles(l.RunDir, "kube-scheduler"),
	}

	nodeIP := net.ParseIP(cfg.IP)
	local := []net.IP{nodeIP, net.IPv4(127, 0, 0, 1)}
	etcdNames := leaf{
		commonName: cfg.Name, server: true, client: true,
		dnsNames: []string{cfg.Name, "localhost"}, ips: append(local, net.IPv6loopback),
	}
	var errs []error
	for _, s := range []struct {
		ca    *authority
		files certFiles
		leaf  leaf
		out   *issued
		// selfManaged certificates are the components' own (kubeadm does
		// not renew them).
		selfManaged bool
	}{
		{ca, c.apiServer, apiServerLeaf(cfg), nil, false},
		{ca, c.apiServerKubeletClient, leaf{commonName: "kube-apiserver-kubelet-client", client: true}, nil, false},
		{etcdCA, c.apiServerEtcdClient, leaf{commonName: "kube-apiserver-etcd-client", client: true}, &c.apiServerEtcd, false},
		{frontProxyCA, c.frontProxyClient, leaf{commonName: "front-proxy-client", client: true}, nil, false},
		{etcdCA, c.etcdServer, etcdNames, nil, false},
		{etcdCA, c.etcdPeer, etcdNames, nil, false},
		{etcdCA, c.etcdHealthcheckClient, leaf{commonName: "kube-etcd-healthcheck-client", client: true}, nil, false},
		{ca, c.cmServing, leaf{commonName: "kube-controller-manager", server: true, dnsNames: []string{cfg.Name, "localhost"}, ips: local}, nil, true},
		{ca, c.schedServing, leaf{commonName: "kube-scheduler", server: true, dnsNames: []string{cfg.Name, "localhost"}, ips: local}, nil, true},
	} {
		got, fresh, err := s.ca.ensureFiles(s.files, s.leaf, cfg.LeafValidity, renew && !s.selfManaged)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if fresh {
			c.issued = append(c.issued, s.files.cert)
		}
		if s.out != nil {
			*s.out = got
		}
	}

	for _, k := range []struct {
		file kubeconfigFile
		out  *issued
	}{
		{kubeconfigFile{filepath.Join(l.KubeconfigDir, AdminConf), cfg.clusterURL(), AdminUser,
			leaf{commonName: AdminUser, orgs: []string{AdminGroup}, client: true}}, nil},
		{kubeconfigFile{filepath.Join(l.KubeconfigDir, SuperAdminConf), cfg.clusterURL(), SuperAdminUser,
			leaf{commonName: SuperAdminUser, orgs: []string{"system:masters"}, client: true}}, &c.superAdmin},
		{kubeconfigFile{filepath.Join(l.KubeconfigDir, ControllerManagerConf), cfg.apiServerURL(), "system:kube-controller-manager",
			leaf{commonName: "system:kube-controller-manager", client: true}}, nil},
		{kubeconfigFile{filepath.Join(l.KubeconfigDir, SchedulerConf), cfg.apiServerURL(), "system:kube-scheduler",
			leaf{commonName: "system:kube-scheduler", client: true}}, nil},
	} {
		got, err := ca.ensureKubeconfig(k.file, cfg.ClusterName, caPEM, cfg.LeafValidity, renew)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if k.out != nil {
			*k.out = got
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// apiServerLeaf is the API server's serving certificate as kubeadm makes
// it: the node name, the in-cluster names of the "kubernetes" Service, its
// ClusterIP, the node's address, the control-plane endpoint's host and the
// extra certSANs; plus localhost for probes on the node.
func apiServerLeaf(cfg ControlPlaneConfig) leaf {
	l := leaf{
		commonName: "kube-apiserver", server: true,
		dnsNames: []string{cfg.Name, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc." + cfg.DNSDomain, "localhost"},
		ips: []net.IP{net.IP(cfg.firstServiceIP().AsSlice()), net.ParseIP(cfg.IP), net.IPv4(127, 0, 0, 1)},
	}
	extra := cfg.APIServerCertSANs
	if cfg.ControlPlaneEndpoint != "" {
		host, _, _ := net.SplitHostPort(cfg.ControlPlaneEndpoint) // validated
		extra = append([]string{host}, extra...)
	}
	for _, san := range extra {
		if ip := net.ParseIP(san); ip != nil {
			l.ips = append(l.ips, ip)
		} else if san != "" {
			l.dnsNames = append(l.dnsNames, san)
		}
	}
	return l
}
