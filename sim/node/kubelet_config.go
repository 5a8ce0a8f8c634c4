package node

import (
	"net"
	"os"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/clusterwright/clusterwright/cloudinit"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
)

// kubeletConfig is how the kubelet of a node runs; kubeadm writes it once
// (kubeadm-flags.env and /var/lib/kubelet/config.yaml on a real node).
type kubeletConfig struct {
	NodeName string `json:"nodeName"`
	Hostname string `json:"hostname"`
	NodeIP   string `json:"nodeIP"`
	// Version is what the kubelet reports (the cluster's version).
	Version string `json:"version"`
	// Kubeconfig is the path of kubelet.conf on the node.
	Kubeconfig string `json:"kubeconfig"`
	// ExternalCloudProvider is --cloud-provider=external.
	ExternalCloudProvider bool           `json:"externalCloudProvider,omitempty"`
	RegisterWithTaints    []corev1.Taint `json:"registerWithTaints,omitempty"`
	ClusterDNS            string         `json:"clusterDNS,omitempty"`
	ClusterDomain         string         `json:"clusterDomain,omitempty"`
	// StaticPods describes the control plane whose mirror Pods the kubelet
	// creates, on control-plane nodes.
	StaticPods *staticPods `json:"staticPods,omitempty"`
}

// staticPods describes a node's control-plane static Pods.
type staticPods struct {
	ImageRepository string `json:"imageRepository"`
	Version         string `json:"version"`
	// APIServerEndpoint is the local API server's host:port.
	APIServerEndpoint string `json:"apiServerEndpoint"`
	// EtcdClientURL is the local etcd member's client URL.
	EtcdClientURL string `json:"etcdClientURL"`
	// KubeVIPImage is the image of the node's kube-vip static Pod, if the node
	// bootstrap wrote its manifest.
	KubeVIPImage string `json:"kubeVIPImage,omitempty"`
}

// newKubeletConfig is the kubelet configuration kubeadm writes for a node
// registering as name; cp is the node's control plane, if it has one.
func (n *Node) newKubeletConfig(name string, cc cloudinit.ClusterConfiguration, reg cloudinit.NodeRegistrationOptions, cp *kubeproc.ControlPlaneConfig) (kubeletConfig, error) {
	cc = withKubeadmDefaults(cc)
	provider, _ := cloudinit.LookupArg(reg.KubeletExtraArgs, "cloud-provider")
	nodeIP, ok := cloudinit.LookupArg(reg.KubeletExtraArgs, "node-ip")
	if !ok {
		nodeIP = n.IP().String()
	}
	taints := reg.Taints
	if taints == nil && cp != nil {
		taints = []corev1.Taint{controlPlaneTaint}
	}
	dns, err := dnsIP(cc.Networking.ServiceSubnet)
	if err != nil {
		return kubeletConfig{}, err
	}
	kc := kubeletConfig{
		NodeName:              name,
		Hostname:              n.spec.Hostname,
		NodeIP:                nodeIP,
		Version:               cc.KubernetesVersion,
		Kubeconfig:            kubeletConfPath,
		ExternalCloudProvider: provider == "external",
		RegisterWithTaints:    taints,
		ClusterDNS:            dns.String(),
		ClusterDomain:         cc.Networking.DNSDomain,
	}
	if cp != nil {
		port := cp.Ports.APIServer
		if port == 0 {
			port = defaultAPIServerPort
		}
		kc.StaticPods = &staticPods{
			ImageRepository:   cc.ImageRepository,
			Version:           cc.KubernetesVersion,
			APIServerEndpoint: net.JoinHostPort(cp.IP, strconv.Itoa(port)),
			EtcdClientURL:     "https://" + net.JoinHostPort(cp.IP, "2379"),
		}
		if data, err := os.ReadFile(n.path(cloudinit.KubeVIPManifestPath)); err == nil {
			vip, ok, err := parseKubeVIPManifest(data)
			if err != nil {
				return kubeletConfig{}, err
			}
			if ok {
				kc.StaticPods.KubeVIPImage = vip.Image
			}
		}
	}
	return kc, nil
}
