package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// etcdPromoteTimeout bounds the wait for a new learner to catch up.
const etcdPromoteTimeout = 2 * time.Minute

// kubeadmJoin does what `kubeadm join --config /etc/kubernetes/kubeadm.yaml`
// does on this node: token discovery, the kubelet's TLS bootstrap and, for
// a control-plane node, a control plane whose etcd member joins the
// cluster's etcd.
func (n *Node) kubeadmJoin(ctx context.Context, r *run) error {
	jc := n.spec.Kubeadm.Join
	d := jc.Discovery.BootstrapToken
	token, err := pki.ParseBootstrapToken(d.Token)
	if err != nil {
		return fmt.Errorf("[discovery] %w", err)
	}
	name := nodeName(jc.NodeRegistration, n.spec.Hostname)

	// [preflight] [discovery]
	dctx, cancel := context.WithTimeout(ctx, n.cfg.DiscoveryTimeout)
	info, err := discover(dctx, d, token, n.log)
	cancel()
	if err != nil {
		return fmt.Errorf("[discovery] %w", err)
	}
	conf, err := bootstrapKubeconfig(info, token)
	if err != nil {
		return err
	}
	if err := writeFile(n.path(bootstrapKubeletCnf), conf, 0o600); err != nil {
		return err
	}
	bootstrap, err := bootstrapClient(info, token)
	if err != nil {
		return err
	}
	// [preflight] Reading configuration from the "kubeadm-config" ConfigMap.
	cc, err := fetchClusterConfiguration(ctx, bootstrap)
	if err != nil {
		return fmt.Errorf("[preflight] %w", err)
	}

	// [control-plane-prepare] [certs] [kubeconfig]
	var cpCfg *kubeproc.ControlPlaneConfig
	if jc.ControlPlane != nil {
		if cc.ControlPlaneEndpoint == "" {
			return fmt.Errorf("[preflight] %w: unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address", errJoin)
		}
		if key := jc.ControlPlane.CertificateKey; key != "" {
			if err := n.downloadCerts(ctx, bootstrap, cc, key); err != nil {
				return fmt.Errorf("[download-certs] %w", err)
			}
		}
		cfg, err := n.controlPlaneConfig(cc, name, jc.ControlPlane.LocalAPIEndpoint)
		if err != nil {
			return fmt.Errorf("[control-plane-prepare] %w", err)
		}
		if err := kubeproc.EnsureCertificates(cfg); err != nil {
			return fmt.Errorf("[control-plane-prepare] %w", err)
		}
		cpCfg = &cfg
	}

	// [kubelet-start] TLS bootstrap, then kubelet.conf with the signed
	// certificate (on a control-plane node pointing at its own API server).
	certPEM, keyPEM, err := tlsBootstrap(ctx, bootstrap, name)
	if err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}
	server := info.Server
	if cpCfg != nil {
		server = localServer(*cpCfg)
	}
	kubeletConf, err := pki.Kubeconfig(cc.ClusterName, server, info.CAPEM, nodeUserPrefix+name, certPEM, keyPEM)
	if err != nil {
		return err
	}
	if err := writeFile(n.path(kubeletConfPath), kubeletConf, 0o600); err != nil {
		return err
	}
	if err := os.Remove(n.path(bootstrapKubeletCnf)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	n.log.Info("TLS bootstrap done", "user", nodeUserPrefix+name)

	// [control-plane-join] etcd, then the control-plane components.
	if cpCfg != nil {
		admin, err := clientFromKubeconfig(n.path(adminConfPath), "")
		if err != nil {
			return err
		}
		if cpCfg.Etcd, err = n.joinEtcd(ctx, *cpCfg, admin, info.Server); err != nil {
			return fmt.Errorf("[control-plane-join] etcd: %w", err)
		}
		if err := n.writeStaticPodManifests(*cpCfg); err != nil {
			return err
		}
		if err := n.startControlPlane(ctx, r, *cpCfg); err != nil {
			return fmt.Errorf("[control-plane-join] %w", err)
		}
	}

	kc, err := n.newKubeletConfig(name, cc, jc.NodeRegistration, cpCfg)
	if err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}
	if err := writeJSON(n.path(kubeletConfigPath), kc); err != nil {
		return err
	}
	if err := n.startKubelet(ctx, r, kc); err != nil {
		return fmt.Errorf("[kubelet-start] %w", err)
	}

	if cpCfg != nil {
		admin, err := clientFromKubeconfig(n.path(adminConfPath), localServer(*cpCfg))
		if err != nil {
			return err
		}
		err = retry(ctx, phaseTimeout, func(ctx context.Context) error {
			return markControlPlane(ctx, admin, name, kc.RegisterWithTaints)
		})
		if err != nil {
			return fmt.Errorf("[mark-control-plane] %w", err)
		}
		n.log.Info("kubeadm join (control plane) done")
		return n.startCloudProvider(r)
	}
	n.log.Info("kubeadm join done")
	return nil
}

// fetchClusterConfiguration reads the ClusterConfiguration kubeadm init
// stored in the kubeadm-config ConfigMap.
func fetchClusterConfiguration(ctx context.Context, c kubernetes.Interface) (cloudinit.ClusterConfiguration, error) {
	var cc cloudinit.ClusterConfiguration
	err := retry(ctx, phaseTimeout, func(ctx context.Context) error {
		cm, err := c.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, kubeadmConfigMap, metav1.GetOptions{})
		if err != nil {
			return err
		}
		parsed, err := cloudinit.ParseKubeadm([]byte(cm.Data[clusterConfigurationK]))
		if err != nil {
			return err
		}
		if parsed.Cluster == nil {
			return fmt.Errorf("%s has no ClusterConfiguration", kubeadmConfigMap)
		}
		cc = withKubeadmDefaults(*parsed.Cluster)
		return nil
	})
	return cc, err
}

// joinEtcd adds the node's etcd member to the cluster's etcd as a learner,
// the way kubeadm join does, and returns how the member must start: with
// every member in its initial cluster, joining the existing cluster, and
// promoting itself once it runs.
func (n *Node) joinEtcd(ctx context.Context, cfg kubeproc.ControlPlaneConfig, admin kubernetes.Interface, server string) (kubeproc.EtcdConfig, error) {
	endpoints := etcdEndpoints(ctx, admin)
	if len(endpoints) == 0 {
		// No etcd mirror Pod tells where etcd is: try the API endpoint's host.
		u, err := url.Parse(server)
		if err != nil {
			return kubeproc.EtcdConfig{}, err
		}
		endpoints = []string{"https://" + net.JoinHostPort(u.Hostname(), "2379")}
	}
	certDir := cfg.Layout.CertDir
	ec, err := newEtcdClient(filepath.Join(certDir, "etcd/ca.crt"),
		filepath.Join(certDir, "apiserver-etcd-client.crt"), filepath.Join(certDir, "apiserver-etcd-client.key"), endpoints)
	if err != nil {
		return kubeproc.EtcdConfig{}, err
	}
	var members []etcdMember
	err = retry(ctx, phaseTimeout, func(ctx context.Context) error {
		var err error
		members, err = ec.list(ctx)
		return err
	})
	if err != nil {
		return kubeproc.EtcdConfig{}, err
	}
	for _, m := range members {
		ec.endpoints = append(ec.endpoints, m.ClientURLs...)
	}
	peerURL := cfg.EtcdPeerURL()
	// etcd refuses new members for a few seconds after the last change
	// ("unhealthy cluster"); kubeadm retries too.
	err = retry(ctx, phaseTimeout, func(ctx context.Context) error {
		if _, ok := memberWithPeer(members, peerURL); ok {
			return nil
		}
		added, err := ec.addLearner(ctx, peerURL)
		if err == nil {
			members = added
			n.log.Info("etcd: added learner member", "peer", peerURL, "members", len(members))
			return nil
		}
		if listed, lerr := ec.list(ctx); lerr == nil {
			members = listed // the add may have gone through after all
		}
		return err
	})
	if err != nil {
		return kubeproc.EtcdConfig{}, err
	}
	var initial []string
	for _, m := range members {
		name := m.Name
		if _, ours := memberWithPeer([]etcdMember{m}, peerURL); ours {
			name = cfg.Name
		}
		if name == "" {
			continue // a member that never started
		}
		for _, p := range m.PeerURLs {
			initial = append(initial, name+"="+p)
		}
	}
	return kubeproc.EtcdConfig{
		InitialCluster: initial,
		Join:           true,
		OnStarted: func(ctx context.Context) error {
			return promoteLearner(ctx, ec, peerURL)
		},
	}, nil
}

// promoteLearner promotes the member with peerURL once it has caught up.
func promoteLearner(ctx context.Context, ec *etcdClient, peerURL string) error {
	ctx, cancel := context.WithTimeout(ctx, etcdPromoteTimeout)
	defer cancel()
	var last error
	err := poll(ctx, retryInterval, func(ctx context.Context) (bool, error) {
		members, err := ec.list(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		m, ok := memberWithPeer(members, peerURL)
		if !ok {
			return false, fmt.Errorf("member %s is not in the cluster", peerURL)
		}
		if !m.IsLearner {
			return true, nil
		}
		last = ec.promote(ctx, m.ID)
		return last == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("promote learner %s: %w (last: %w)", peerURL, err, last)
	}
	return err
}

// etcdEndpoints lists the client URLs of the cluster's etcd members from
// the annotation kubeadm puts on the etcd static Pods.
func etcdEndpoints(ctx context.Context, admin kubernetes.Interface) []string {
	pods, err := admin.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "component=etcd,tier=control-plane"})
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range pods.Items {
		if u := p.Annotations[annotationEtcdClientURLs]; u != "" {
			out = append(out, u)
		}
	}
	return out
}
