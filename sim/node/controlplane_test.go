package node

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// parsedNode returns a node for spec without booting it.
func parsedNode(t *testing.T, c *nodetest.Cluster, spec cloudinit.NodeSpec) *Node {
	t.Helper()
	md, ud, err := cloudinit.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{Metadata: md, Userdata: ud, RootDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestControlPlaneConfig(t *testing.T) {
	c, err := nodetest.NewCluster("prod", testVersion, "127.20.7.10")
	if err != nil {
		t.Fatal(err)
	}
	n := parsedNode(t, c, c.InitNode("prod-cp-0", "127.20.7.10"))
	cc := *n.spec.Kubeadm.Cluster
	cc.ControlPlaneEndpoint = "prod.example.com" // no port: kubeadm adds the bind port
	cfg, err := n.controlPlaneConfig(cc, "prod-cp-0", n.spec.Kubeadm.Init.LocalAPIEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ControlPlaneEndpoint != "prod.example.com:6443" || cfg.Version != testVersion || cfg.PodCIDR != "10.244.0.0/16" ||
		cfg.Layout.CertDir != filepath.Join(n.RootDir(), "etc/kubernetes/pki") ||
		cfg.Layout.EtcdDataDir != filepath.Join(n.RootDir(), "var/lib/etcd") {
		t.Errorf("control plane config %+v", cfg)
	}
	if _, err := n.controlPlaneConfig(cc, "prod-cp-0", cloudinit.APIEndpoint{AdvertiseAddress: "127.20.7.99"}); err == nil ||
		!strings.Contains(err.Error(), "not the node's address") {
		t.Errorf("foreign advertise address: %v", err)
	}
}

func TestKubeletConfig(t *testing.T) {
	c, err := nodetest.NewCluster("prod", testVersion, "127.20.7.10")
	if err != nil {
		t.Fatal(err)
	}
	cp := parsedNode(t, c, c.InitNode("prod-cp-0", "127.20.7.10"))
	cc := *cp.spec.Kubeadm.Cluster
	cpCfg, err := cp.controlPlaneConfig(cc, "prod-cp-0", cp.spec.Kubeadm.Init.LocalAPIEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := cp.newKubeletConfig("prod-cp-0", cc, cp.spec.Kubeadm.Init.NodeRegistration, &cpCfg)
	if err != nil {
		t.Fatal(err)
	}
	if !kc.ExternalCloudProvider || len(kc.RegisterWithTaints) != 1 || kc.RegisterWithTaints[0].Key != controlPlaneTaint.Key ||
		kc.StaticPods == nil || kc.StaticPods.APIServerEndpoint != "127.20.7.10:6443" || kc.ClusterDNS != "10.96.0.10" {
		t.Errorf("control-plane kubelet config %+v", kc)
	}

	w := parsedNode(t, c, c.WorkerNode("prod-w-0", "127.20.7.11"))
	reg := w.spec.Kubeadm.Join.NodeRegistration
	reg.Taints = []corev1.Taint{} // explicitly none
	kc, err = w.newKubeletConfig("prod-w-0", cc, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(kc.RegisterWithTaints) != 0 || kc.StaticPods != nil || kc.NodeIP != "127.20.7.11" {
		t.Errorf("worker kubelet config %+v", kc)
	}
}
