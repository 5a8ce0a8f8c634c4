package cloudinit

import (
	"net/netip"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/pki"
)

// Defaults Clusterwright uses in kubeadm configurations.
const (
	// DefaultCRISocket is containerd's endpoint.
	DefaultCRISocket = "unix:///var/run/containerd/containerd.sock"
	// NodeBootstrapTokenGroup is the group kubeadm's RBAC rules let join
	// nodes with (kubeadm's default for bootstrap tokens).
	NodeBootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token"
)

// NodeBootstrapToken returns a bootstrap token entry for InitConfiguration
// with kubeadm's default usages and group, valid for ttl.
func NodeBootstrapToken(token pki.BootstrapToken, ttl time.Duration) BootstrapToken {
	return BootstrapToken{
		Token:  token,
		TTL:    &metav1.Duration{Duration: ttl},
		Usages: []string{"signing", "authentication"},
		Groups: []string{NodeBootstrapTokenGroup},
	}
}

// NodeRegistration returns the node registration Clusterwright uses on
// vSphere: containerd, and a kubelet that leaves node initialisation to
// the vSphere cloud provider (cloud-provider=external; the kubelet then
// taints the node node.cloudprovider.kubernetes.io/uninitialized until the
// CPI has run) and advertises nodeIP. Taints stay nil: kubeadm's default.
func NodeRegistration(name string, nodeIP netip.Addr) NodeRegistrationOptions {
	return NodeRegistrationOptions{
		Name:      name,
		CRISocket: DefaultCRISocket,
		KubeletExtraArgs: []Arg{
			{Name: "cloud-provider", Value: "external"},
			{Name: "node-ip", Value: nodeIP.String()},
		},
	}
}

// LookupArg returns the value of the last flag called name in args, which
// is the one a component honours when a flag repeats.
func LookupArg(args []Arg, name string) (string, bool) {
	for i := len(args) - 1; i >= 0; i-- {
		if args[i].Name == name {
			return args[i].Value, true
		}
	}
	return "", false
}
