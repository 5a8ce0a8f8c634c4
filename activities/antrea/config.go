package antrea

import (
	"fmt"
	"net/netip"
	"strings"

	"sigs.k8s.io/yaml"
)

// MemberConfig is what a member's controller is configured with: its
// MultiClusterConfig in ConfigMap antrea-mc-controller-config.
type MemberConfig struct {
	// PodCIDRs are the cluster's pod CIDRs.
	PodCIDRs []string `json:"pod_cidrs"`
	// ServiceCIDR is the cluster's Service CIDR; empty lets the controller
	// find it.
	ServiceCIDR string `json:"service_cidr,omitempty"`
	// GatewayIPPrecedence is "private" (default) or "public": which Node
	// address a Gateway uses.
	GatewayIPPrecedence string `json:"gateway_ip_precedence,omitempty"`
	// EndpointIPType is "ClusterIP" (default) or "PodIP": which address
	// exported Services' endpoints have.
	EndpointIPType string `json:"endpoint_ip_type,omitempty"`
}

// multiClusterConfig is the MultiClusterConfig document
// (multicluster.crd.antrea.io/v1alpha1) of a controller.
type multiClusterConfig struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Health     struct {
		HealthProbeBindAddress string `json:"healthProbeBindAddress"`
	} `json:"health"`
	Metrics struct {
		BindAddress string `json:"bindAddress"`
	} `json:"metrics"`
	Webhook struct {
		Port int `json:"port"`
	} `json:"webhook"`
	LeaderElection struct {
		LeaderElect bool `json:"leaderElect"`
	} `json:"leaderElection"`
	ServiceCIDR                  string   `json:"serviceCIDR"`
	PodCIDRs                     []string `json:"podCIDRs"`
	GatewayIPPrecedence          string   `json:"gatewayIPPrecedence"`
	EndpointIPType               string   `json:"endpointIPType"`
	EnableStretchedNetworkPolicy bool     `json:"enableStretchedNetworkPolicy"`
}

// normalize fills the defaults and checks the values.
func (m MemberConfig) normalize() (MemberConfig, error) {
	if m.GatewayIPPrecedence == "" {
		m.GatewayIPPrecedence = "private"
	}
	if m.EndpointIPType == "" {
		m.EndpointIPType = "ClusterIP"
	}
	switch {
	case m.GatewayIPPrecedence != "private" && m.GatewayIPPrecedence != "public":
		return m, invalidInput("gateway IP precedence %q: want private or public", m.GatewayIPPrecedence)
	case m.EndpointIPType != "ClusterIP" && m.EndpointIPType != "PodIP":
		return m, invalidInput("endpoint IP type %q: want ClusterIP or PodIP", m.EndpointIPType)
	}
	for _, c := range m.PodCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return m, invalidInput("pod CIDR %q is not a CIDR", c)
		}
	}
	for c := range strings.SplitSeq(m.ServiceCIDR, ",") {
		if _, err := netip.ParsePrefix(c); c != "" && err != nil {
			return m, invalidInput("service CIDR %q is not a CIDR", m.ServiceCIDR)
		}
	}
	return m, nil
}

// render renders the MultiClusterConfig document of m (already normalized).
func (m MemberConfig) render() (string, error) {
	doc := multiClusterConfig{
		APIVersion:          "multicluster.crd.antrea.io/v1alpha1",
		Kind:                "MultiClusterConfig",
		ServiceCIDR:         m.ServiceCIDR,
		PodCIDRs:            m.PodCIDRs,
		GatewayIPPrecedence: m.GatewayIPPrecedence,
		EndpointIPType:      m.EndpointIPType,
	}
	if doc.PodCIDRs == nil {
		doc.PodCIDRs = []string{}
	}
	doc.Health.HealthProbeBindAddress = ":8080"
	doc.Metrics.BindAddress = "0"
	doc.Webhook.Port = 9443
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("render MultiClusterConfig: %w", err)
	}
	return string(out), nil
}
