package cloudinit

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// kube-vip as a static Pod: the way Cluster API Provider vSphere clusters
// serve their control-plane endpoint. Every control plane runs it; the
// instances elect a leader on a Lease in the cluster's own API server and the
// leader holds the virtual IP (announced by ARP), so the endpoint outlives any
// one node.
const (
	// ManifestsDir is where the kubelet finds static Pod manifests.
	ManifestsDir = "/etc/kubernetes/manifests"
	// KubeVIPManifestPath is kube-vip's static Pod manifest.
	KubeVIPManifestPath = ManifestsDir + "/kube-vip.yaml"
	// KubeVIPImage is the kube-vip image the manifest runs.
	KubeVIPImage = "ghcr.io/kube-vip/kube-vip:v0.8.9"
	// KubeVIPLeaseName is the Lease (coordination.k8s.io, in kube-system) the
	// control planes' kube-vip instances elect the VIP holder on.
	KubeVIPLeaseName = "plndr-cp-lock"
	// AdminConfPath and SuperAdminConfPath are kubeadm's admin kubeconfigs.
	// kube-vip on the first control plane needs super-admin.conf: while
	// kubeadm init runs, admin.conf's group has no RBAC binding yet
	// (Kubernetes 1.29 and later), and kube-vip must hold the VIP before
	// kubeadm can finish.
	AdminConfPath      = "/etc/kubernetes/admin.conf"
	SuperAdminConfPath = "/etc/kubernetes/super-admin.conf"
)

// kube-vip's leader election timings, its own defaults (seconds): the VIP
// moves within about LeaseDuration + RetryPeriod of its holder's death.
const (
	KubeVIPLeaseDuration = 5
	KubeVIPRenewDeadline = 3
	KubeVIPRetryPeriod   = 1
)

// KubeVIP configures the kube-vip static Pod of a control-plane node.
type KubeVIP struct {
	// Address is the control-plane virtual IP.
	Address netip.Addr
	// Port is the API server port served at Address.
	Port int
	// Kubeconfig is the host path of the kubeconfig kube-vip uses:
	// SuperAdminConfPath on the first control plane, AdminConfPath on the others.
	Kubeconfig string
}

// KubeVIPManifest renders kube-vip's static Pod manifest, as `kube-vip
// manifest pod --controlplane --arp --leaderElection --address VIP` writes it.
func KubeVIPManifest(k KubeVIP) ([]byte, error) {
	if !k.Address.IsValid() {
		return nil, errors.New("cloudinit: kube-vip: address is not set")
	}
	if k.Port <= 0 || k.Port > 65535 {
		return nil, fmt.Errorf("cloudinit: kube-vip: port %d is out of range", k.Port)
	}
	if k.Kubeconfig == "" {
		k.Kubeconfig = AdminConfPath
	}
	cidr := "32"
	if k.Address.Is6() {
		cidr = "128"
	}
	env := []corev1.EnvVar{
		{Name: "vip_arp", Value: "true"},
		{Name: "port", Value: strconv.Itoa(k.Port)},
		{Name: "vip_nodename", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		{Name: "vip_cidr", Value: cidr},
		{Name: "dns_mode", Value: "first"},
		{Name: "cp_enable", Value: "true"},
		{Name: "cp_namespace", Value: metav1.NamespaceSystem},
		{Name: "vip_leaderelection", Value: "true"},
		{Name: "vip_leasename", Value: KubeVIPLeaseName},
		{Name: "vip_leaseduration", Value: strconv.Itoa(KubeVIPLeaseDuration)},
		{Name: "vip_renewdeadline", Value: strconv.Itoa(KubeVIPRenewDeadline)},
		{Name: "vip_retryperiod", Value: strconv.Itoa(KubeVIPRetryPeriod)},
		{Name: "vip_address", Value: k.Address.String()},
		{Name: "prometheus_server", Value: ":2112"},
	}
	hostPathFile := corev1.HostPathFile
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "kube-vip", Namespace: metav1.NamespaceSystem},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name:            "kube-vip",
				Image:           KubeVIPImage,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            []string{"manager"},
				Env:             env,
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{
					Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"},
				}},
				VolumeMounts: []corev1.VolumeMount{{Name: "kubeconfig", MountPath: AdminConfPath}},
			}},
			// kube-vip reaches the local API server as "kubernetes" while the
			// VIP is not up yet.
			HostAliases: []corev1.HostAlias{{IP: "127.0.0.1", Hostnames: []string{"kubernetes"}}},
			HostNetwork: true,
			Volumes: []corev1.Volume{{Name: "kubeconfig", VolumeSource: corev1.VolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: k.Kubeconfig, Type: &hostPathFile},
			}}},
		},
	}
	out, err := yaml.Marshal(pod)
	if err != nil {
		return nil, fmt.Errorf("cloudinit: kube-vip manifest: %w", err)
	}
	return out, nil
}
