package main

import (
	"testing"

	"github.com/clusterwright/clusterwright/domain"
)

// TestEndpointOf: clusters get says what serves the endpoint.
func TestEndpointOf(t *testing.T) {
	nodes := []domain.Node{{Name: "a-cp-0", IP: "10.0.0.10"}, {Name: "a-w-0", IP: "10.0.0.11"}}
	for endpoint, want := range map[string]string{
		"10.0.0.14:6443": "10.0.0.14:6443 (virtual IP, kube-vip on the control planes)",
		"10.0.0.10:6443": "10.0.0.10:6443 (control plane a-cp-0's address)",
		"":               "",
	} {
		if got := endpointOf(domain.Cluster{ControlPlaneEndpoint: endpoint, Nodes: nodes}); got != want {
			t.Errorf("endpointOf(%q) = %q, want %q", endpoint, got, want)
		}
	}
}
