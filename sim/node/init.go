package node

import (
	"context"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/pki"
)

// phaseTimeout bounds the retries of each kubeadm phase against a control
// plane that has just come up.
const phaseTimeout = 2 * time.Minute

// kubeadmInit does what `kubeadm init --config /etc/kubernetes/kubeadm.yaml`
// does on this node, with the shared cluster PKI cloud-init wrote.
func (n *Node) kubeadmInit(ctx context.Context, r *run) error {
	ic := n.spec.Kubeadm.Init
	cc := withKubeadmDefaults(*n.spec.Kubeadm.Cluster)
	name := nodeName(ic.NodeRegistration, n.spec.Hostname)
	cpCfg, err := n.controlPlaneConfig(cc, name, ic.LocalAPIEndpoint)
	if err != nil {
		return err
	}

	// [certs] [kubeconfig] [etcd] [control-plane]: the static Pod manifests,
	// which the kubelet starts.
	if err := n.writeStaticPodManifests(cpCfg); err != nil {
		return fmt.Errorf("[control-plane] %w", err)
	}
	if err := n.startControlPlane(ctx, r, cpCfg); err != nil {
		return fmt.Errorf("[control-plane] %w", err)
	}
	admin, err := clientFromKubeconfig(n.path(superAdminConfPath), localServer(cpCfg))
	if err != nil {
		return err
	}

	// [kubelet-start] kubeadm init issues the first node's kubelet
	// credentials itself; the kubelet on a control-plane node talks to its
	// local API server.
	if err := n.writeInitKubeletConf(cc, name, localServer(cpCfg)); err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}
	kc, err := n.newKubeletConfig(name, cc, ic.NodeRegistration, &cpCfg)
	if err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}
	if err := writeJSON(n.path(kubeletConfigPath), kc); err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}
	if err := n.startKubelet(ctx, r, kc); err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}

	caPEM, err := os.ReadFile(n.path(path.Join(cc.CertificatesDir, pki.CACertFile)))
	if err != nil {
		return err
	}
	dns, err := dnsIP(cc.Networking.ServiceSubnet)
	if err != nil {
		return err
	}
	server := clusterServer(cpCfg)
	for _, phase := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"rbac", func(ctx context.Context) error {
			return applyManifests(ctx, admin, rbacManifests, map[string]string{"BootstrapGroup": bootstrapGroup})
		}},
		{"upload-config", func(ctx context.Context) error { return uploadClusterConfiguration(ctx, admin, cc) }},
		{"mark-control-plane", func(ctx context.Context) error {
			return markControlPlane(ctx, admin, name, kc.RegisterWithTaints)
		}},
		{"bootstrap-token", func(ctx context.Context) error { return createBootstrapTokens(ctx, admin, ic.BootstrapTokens) }},
		{"bootstrap-token", func(ctx context.Context) error {
			return createClusterInfo(ctx, admin, server, caPEM)
		}},
		{"addons", func(ctx context.Context) error {
			return applyManifests(ctx, admin, addonManifests, addonData{
				ImageRepository:   cc.ImageRepository,
				KubernetesVersion: cc.KubernetesVersion,
				CoreDNSVersion:    coreDNSVersion,
				DNSIP:             dns.String(),
				DNSDomain:         cc.Networking.DNSDomain,
				Server:            server,
				PodSubnet:         cc.Networking.PodSubnet,
			})
		}},
	} {
		if err := retry(ctx, phaseTimeout, phase.run); err != nil {
			return fmt.Errorf("[%s] %w", phase.name, err)
		}
	}
	n.log.Info("kubeadm init done", "server", server)
	return n.startCloudProvider(r)
}

// writeInitKubeletConf issues the kubelet's client certificate
// (system:node:<name> in system:nodes) from the cluster CA and writes
// kubelet.conf, unless a previous, interrupted init did so already.
func (n *Node) writeInitKubeletConf(cc cloudinit.ClusterConfiguration, name, server string) error {
	dst := n.path(kubeletConfPath)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	certPEM, err := os.ReadFile(n.path(path.Join(cc.CertificatesDir, pki.CACertFile)))
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(n.path(path.Join(cc.CertificatesDir, pki.CAKeyFile)))
	if err != nil {
		return err
	}
	ca, err := pki.ParseCA(certPEM, keyPEM)
	if err != nil {
		return err
	}
	req := pki.LeafRequest{CommonName: nodeUserPrefix + name, Organizations: []string{nodesGroup}, Client: true}
	if cc.CertificateValidityPeriod != nil {
		req.Validity = cc.CertificateValidityPeriod.Duration
	}
	cert, key, err := ca.Issue(req)
	if err != nil {
		return err
	}
	conf, err := pki.Kubeconfig(cc.ClusterName, server, certPEM, nodeUserPrefix+name, cert, key)
	if err != nil {
		return err
	}
	return writeFile(dst, conf, 0o600)
}

// nodeUserPrefix prefixes a Node name to make its kubelet's user name.
const nodeUserPrefix = "system:node:"
