package cloudinit

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/pki"
)

// The types below are the subset of kubeadm's configuration API
// kubeadm.k8s.io/v1beta4 (k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4)
// that Clusterwright writes. Field names, JSON names and omitempty
// markers follow the upstream types, so that the YAML is what kubeadm
// itself would write for the same values, with one difference: struct
// fields that upstream marks omitempty (a no-op for structs in
// encoding/json) are omitzero here, so that empty sections are left out.

// KubeadmAPIVersion is the kubeadm configuration API version Clusterwright
// writes and reads.
const KubeadmAPIVersion = "kubeadm.k8s.io/v1beta4"

// Kinds of kubeadm configuration documents.
const (
	KindInitConfiguration    = "InitConfiguration"
	KindClusterConfiguration = "ClusterConfiguration"
	KindJoinConfiguration    = "JoinConfiguration"
)

// TypeMeta is the apiVersion and kind of a document. RenderKubeadm fills
// it in.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// InitConfiguration holds the node-specific settings of `kubeadm init`.
type InitConfiguration struct {
	TypeMeta `json:",inline"`
	// BootstrapTokens are created in the new cluster, for joining nodes.
	BootstrapTokens  []BootstrapToken        `json:"bootstrapTokens,omitempty"`
	NodeRegistration NodeRegistrationOptions `json:"nodeRegistration,omitzero"`
	// LocalAPIEndpoint is where this node's API server listens.
	LocalAPIEndpoint APIEndpoint `json:"localAPIEndpoint,omitzero"`
	SkipPhases       []string    `json:"skipPhases,omitempty"`
}

// ClusterConfiguration holds the cluster-wide settings of `kubeadm init`.
type ClusterConfiguration struct {
	TypeMeta             `json:",inline"`
	Etcd                 Etcd                  `json:"etcd,omitzero"`
	Networking           Networking            `json:"networking,omitzero"`
	KubernetesVersion    string                `json:"kubernetesVersion,omitempty"`
	ControlPlaneEndpoint string                `json:"controlPlaneEndpoint,omitempty"`
	APIServer            APIServer             `json:"apiServer,omitzero"`
	ControllerManager    ControlPlaneComponent `json:"controllerManager,omitzero"`
	Scheduler            ControlPlaneComponent `json:"scheduler,omitzero"`
	// CertificatesDir defaults to /etc/kubernetes/pki.
	CertificatesDir string `json:"certificatesDir,omitempty"`
	// ImageRepository replaces registry.k8s.io, for air-gapped sites.
	ImageRepository string `json:"imageRepository,omitempty"`
	ClusterName     string `json:"clusterName,omitempty"`
	// EncryptionAlgorithm is the key type of the certificates kubeadm
	// generates: "RSA-2048" (kubeadm's default), "RSA-3072", "RSA-4096",
	// "ECDSA-P256" or "ECDSA-P384".
	EncryptionAlgorithm string `json:"encryptionAlgorithm,omitempty"`
	// CertificateValidityPeriod is the lifetime of the leaf certificates
	// kubeadm generates (default one year).
	CertificateValidityPeriod *metav1.Duration `json:"certificateValidityPeriod,omitempty"`
	// CACertificateValidityPeriod is the lifetime of CAs kubeadm
	// generates (default ten years); Clusterwright supplies its own CAs.
	CACertificateValidityPeriod *metav1.Duration `json:"caCertificateValidityPeriod,omitempty"`
}

// JoinConfiguration holds the settings of `kubeadm join`.
type JoinConfiguration struct {
	TypeMeta         `json:",inline"`
	NodeRegistration NodeRegistrationOptions `json:"nodeRegistration,omitzero"`
	Discovery        Discovery               `json:"discovery"`
	// ControlPlane is set when the node joins as a control-plane node.
	ControlPlane *JoinControlPlane `json:"controlPlane,omitempty"`
	SkipPhases   []string          `json:"skipPhases,omitempty"`
}

// BootstrapToken is a bootstrap token kubeadm init creates.
type BootstrapToken struct {
	Token       pki.BootstrapToken `json:"token"`
	Description string             `json:"description,omitempty"`
	// TTL defaults to 24 hours in kubeadm.
	TTL    *metav1.Duration `json:"ttl,omitempty"`
	Usages []string         `json:"usages,omitempty"`
	Groups []string         `json:"groups,omitempty"`
}

// NodeRegistrationOptions describe how the node registers with the cluster.
type NodeRegistrationOptions struct {
	// Name is the Node name; kubeadm defaults it to the hostname.
	Name string `json:"name,omitempty"`
	// CRISocket is the container runtime endpoint.
	CRISocket string `json:"criSocket,omitempty"`
	// Taints are the Node's initial taints. As in kubeadm, nil (rendered
	// as null) means kubeadm's default (the control-plane taint on
	// control-plane nodes, none on workers) and an empty slice means no
	// taints at all.
	Taints []corev1.Taint `json:"taints"`
	// KubeletExtraArgs are extra kubelet flags, in v1beta4's list form;
	// a name may repeat.
	KubeletExtraArgs      []Arg    `json:"kubeletExtraArgs,omitempty"`
	IgnorePreflightErrors []string `json:"ignorePreflightErrors,omitempty"`
}

// Arg is a command-line flag of a component, without the leading "--".
type Arg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// APIEndpoint is the address and port of an API server.
type APIEndpoint struct {
	AdvertiseAddress string `json:"advertiseAddress,omitempty"`
	BindPort         int32  `json:"bindPort,omitempty"`
}

// Networking holds the cluster's address ranges and DNS domain.
type Networking struct {
	ServiceSubnet string `json:"serviceSubnet,omitempty"`
	PodSubnet     string `json:"podSubnet,omitempty"`
	DNSDomain     string `json:"dnsDomain,omitempty"`
}

// Etcd configures etcd; Clusterwright always runs it stacked (local).
type Etcd struct {
	Local *LocalEtcd `json:"local,omitempty"`
}

// LocalEtcd configures a stacked etcd member.
type LocalEtcd struct {
	// DataDir defaults to /var/lib/etcd.
	DataDir   string `json:"dataDir"`
	ExtraArgs []Arg  `json:"extraArgs,omitempty"`
}

// ControlPlaneComponent holds extra flags of a control-plane component.
type ControlPlaneComponent struct {
	ExtraArgs []Arg `json:"extraArgs,omitempty"`
}

// APIServer configures kube-apiserver.
type APIServer struct {
	ExtraArgs []Arg `json:"extraArgs,omitempty"`
	// CertSANs are extra subject alternative names of the API server
	// certificate.
	CertSANs []string `json:"certSANs,omitempty"`
}

// JoinControlPlane holds the settings of a joining control-plane node.
type JoinControlPlane struct {
	LocalAPIEndpoint APIEndpoint `json:"localAPIEndpoint,omitzero"`
	// CertificateKey (hex, see pki.NewCertificateKey) decrypts the shared
	// certificates and keys that the Secret kube-system/kubeadm-certs carries:
	// the node then receives no CA key in its userdata. kubeadm takes it here
	// (or as --certificate-key, which it refuses to mix with --config).
	CertificateKey string `json:"certificateKey,omitempty"`
}

// Discovery says how a joining node finds and trusts the cluster.
type Discovery struct {
	BootstrapToken *BootstrapTokenDiscovery `json:"bootstrapToken,omitempty"`
}

// BootstrapTokenDiscovery discovers the cluster with a bootstrap token,
// pinning the cluster CA by the hash of its public key.
type BootstrapTokenDiscovery struct {
	// Token is "id.secret".
	Token             string `json:"token"`
	APIServerEndpoint string `json:"apiServerEndpoint,omitempty"`
	// CACertHashes are "sha256:<hex>" pins (pki.CACertHash).
	CACertHashes []string `json:"caCertHashes,omitempty"`
}
