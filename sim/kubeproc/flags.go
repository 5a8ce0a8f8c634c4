package kubeproc

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Component flags follow kubeadm's static Pod manifests, adapted to run
// several control planes side by side on loopback addresses.

func etcdArgs(cfg ControlPlaneConfig, c *certs) []string {
	clientURL := cfg.etcdClientURL()
	peerURL := cfg.EtcdPeerURL()
	initialCluster := cfg.Name + "=" + peerURL
	if len(cfg.Etcd.InitialCluster) > 0 {
		initialCluster = strings.Join(cfg.Etcd.InitialCluster, ",")
	}
	state := "new"
	if cfg.Etcd.Join {
		state = "existing"
	}
	return []string{
		"--name=" + cfg.Name,
		"--data-dir=" + cfg.Layout.EtcdDataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=" + initialCluster,
		"--initial-cluster-state=" + state,
		"--cert-file=" + c.etcdServer.cert,
		"--key-file=" + c.etcdServer.key,
		"--client-cert-auth=true",
		"--trusted-ca-file=" + cfg.PKI.EtcdCACert,
		"--peer-cert-file=" + c.etcdPeer.cert,
		"--peer-key-file=" + c.etcdPeer.key,
		"--peer-client-cert-auth=true",
		"--peer-trusted-ca-file=" + cfg.PKI.EtcdCACert,
		"--snapshot-count=10000",
	}
}

func apiServerArgs(cfg ControlPlaneConfig, c *certs) []string {
	return []string{
		"--advertise-address=" + cfg.IP,
		"--bind-address=" + cfg.IP,
		fmt.Sprintf("--secure-port=%d", cfg.Ports.APIServer),
		// The default "lease" reconciler refuses loopback addresses for the
		// endpoints of the "kubernetes" Service.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--enable-bootstrap-token-auth=true",
		"--client-ca-file=" + cfg.PKI.CACert,
		"--tls-cert-file=" + c.apiServer.cert,
		"--tls-private-key-file=" + c.apiServer.key,
		"--kubelet-client-certificate=" + c.apiServerKubeletClient.cert,
		"--kubelet-client-key=" + c.apiServerKubeletClient.key,
		"--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
		"--etcd-servers=" + cfg.etcdClientURL(),
		"--etcd-cafile=" + cfg.PKI.EtcdCACert,
		"--etcd-certfile=" + c.apiServerEtcdClient.cert,
		"--etcd-keyfile=" + c.apiServerEtcdClient.key,
		"--service-cluster-ip-range=" + cfg.ServiceCIDR,
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + cfg.PKI.ServiceAccountPub,
		"--service-account-signing-key-file=" + cfg.PKI.ServiceAccountKey,
		"--requestheader-client-ca-file=" + cfg.PKI.FrontProxyCACert,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User",
		"--proxy-client-cert-file=" + c.frontProxyClient.cert,
		"--proxy-client-key-file=" + c.frontProxyClient.key,
	}
}

// controllerManagerArgs signs certificate requests with the cluster CA and
// runs kubeadm's controller set, which adds the bootstrap-token signer and
// cleaner to the defaults (the CSR approver is one of those).
func controllerManagerArgs(cfg ControlPlaneConfig, c *certs, kubeconfig string) []string {
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + cfg.IP,
		fmt.Sprintf("--secure-port=%d", cfg.Ports.ControllerManager),
		"--tls-cert-file=" + c.cmServing.cert,
		"--tls-private-key-file=" + c.cmServing.key,
		"--client-ca-file=" + cfg.PKI.CACert,
		"--requestheader-client-ca-file=" + cfg.PKI.FrontProxyCACert,
		"--cluster-name=" + cfg.ClusterName,
		"--cluster-signing-cert-file=" + cfg.PKI.CACert,
		"--cluster-signing-key-file=" + cfg.PKI.CAKey,
		"--root-ca-file=" + cfg.PKI.CACert,
		"--service-account-private-key-file=" + cfg.PKI.ServiceAccountKey,
		"--service-cluster-ip-range=" + cfg.ServiceCIDR,
		"--use-service-account-credentials=true",
		"--controllers=*,bootstrapsigner,tokencleaner",
		"--leader-elect=true",
	}
	if cfg.PodCIDR != "" {
		args = append(args, "--allocate-node-cidrs=true", "--cluster-cidr="+cfg.PodCIDR)
	}
	return args
}

func schedulerArgs(cfg ControlPlaneConfig, c *certs, kubeconfig string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + cfg.IP,
		fmt.Sprintf("--secure-port=%d", cfg.Ports.Scheduler),
		"--tls-cert-file=" + c.schedServing.cert,
		"--tls-private-key-file=" + c.schedServing.key,
		"--client-ca-file=" + cfg.PKI.CACert,
		"--requestheader-client-ca-file=" + cfg.PKI.FrontProxyCACert,
		"--leader-elect=true",
	}
}

// logFile is where a component's standard output and error go.
func logFile(dir, component string) string {
	return filepath.Join(dir, component+".log")
}
