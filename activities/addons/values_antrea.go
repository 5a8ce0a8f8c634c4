package addons

import "github.com/clusterwright/clusterwright/domain"

// WireGuardPort is the UDP port of Antrea's WireGuard tunnels.
const WireGuardPort = 51820

// antreaEncryptionModes maps the spec's traffic_encryption to the chart's
// trafficEncryptionMode.
var antreaEncryptionModes = map[string]string{
	"":          "none",
	"none":      "none",
	"ipsec":     "ipsec",
	"wireguard": "wireGuard",
}

// AntreaValues are the values of the antrea chart for a cluster:
//
//   - encapsulated tunnels (the encryption modes need them), encrypted
//     with IPsec or WireGuard (UDP WireGuardPort) as traffic_encryption says;
//   - the Service CIDR for AntreaProxy; no node IPAM, since
//     kube-controller-manager allocates the node pod CIDRs (kubeadm's
//     --pod-network-cidr);
//   - NodePortLocal on, and Egress with no exceptions;
//   - with addons.antrea.multicluster, the Multicluster feature gate with
//     gateways and pod-to-pod connectivity across the ClusterSet (the
//     multi-cluster controllers themselves come with the ClusterSet).
func AntreaValues(spec domain.ClusterSpec) map[string]any {
	a := domain.AntreaSpec{}
	if spec.Addons.Antrea != nil {
		a = *spec.Addons.Antrea
	}
	mode, ok := antreaEncryptionModes[a.TrafficEncryption]
	if !ok {
		mode = "none" // validation rejects other modes before this
	}
	vals := map[string]any{
		"trafficEncapMode":      "encap",
		"trafficEncryptionMode": mode,
		"nodeIPAM":              map[string]any{"enable": false},
		"nodePortLocal":         map[string]any{"enable": true},
		"egress": map[string]any{
			"exceptCIDRs":         []any{},
			"maxEgressIPsPerNode": 255,
		},
		"featureGates": map[string]any{"Multicluster": a.Multicluster},
		"multicluster": map[string]any{
			"enableGateway":              a.Multicluster,
			"enablePodToPodConnectivity": a.Multicluster,
		},
	}
	if mode == "wireGuard" {
		vals["wireGuard"] = map[string]any{"port": WireGuardPort}
	}
	if spec.Network.ServiceCIDR != "" {
		vals["serviceCIDR"] = spec.Network.ServiceCIDR
	}
	return vals
}
