package cloudinit

import (
	"errors"
	"fmt"
	"net/netip"

	"sigs.k8s.io/yaml"
)

// Metadata is the document in guestinfo.metadata, as cloud-init's VMware
// datasource reads it.
type Metadata struct {
	InstanceID    string        `json:"instance-id"`
	LocalHostname string        `json:"local-hostname"`
	Network       NetworkConfig `json:"network"`
	// Redact lists guestinfo keys (without the "guestinfo." prefix) that
	// cloud-init overwrites in the guest once it has read them.
	Redact []string `json:"redact,omitempty"`
}

// NetworkConfig is a netplan-style network configuration, version 2.
type NetworkConfig struct {
	Version   int                 `json:"version"`
	Ethernets map[string]Ethernet `json:"ethernets,omitempty"`
}

// Ethernet configures one physical interface.
type Ethernet struct {
	// Match selects the interface; without it, the map key is the
	// interface name.
	Match   *Match `json:"match,omitempty"`
	SetName string `json:"set-name,omitempty"`
	DHCP4   bool   `json:"dhcp4"`
	// Addresses are static addresses in CIDR form ("127.20.0.10/16").
	Addresses []string `json:"addresses,omitempty"`
	// Gateway4 is netplan's deprecated spelling of a default route; it is
	// read but not written.
	Gateway4    string       `json:"gateway4,omitempty"`
	Routes      []Route      `json:"routes,omitempty"`
	Nameservers *Nameservers `json:"nameservers,omitempty"`
}

// Match selects an interface by MAC address or by name (globs allowed).
type Match struct {
	MACAddress string `json:"macaddress,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Route is a static route; To is a CIDR or "default".
type Route struct {
	To  string `json:"to"`
	Via string `json:"via"`
}

// Nameservers are the DNS servers and search domains of an interface.
type Nameservers struct {
	Addresses []string `json:"addresses,omitempty"`
	Search    []string `json:"search,omitempty"`
}

// RenderMetadata marshals md as YAML.
func RenderMetadata(md Metadata) ([]byte, error) {
	out, err := yaml.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("cloudinit: render metadata: %w", err)
	}
	return out, nil
}

// ParseMetadata parses a metadata document (YAML or JSON).
func ParseMetadata(data []byte) (*Metadata, error) {
	var md Metadata
	if err := yaml.Unmarshal(data, &md); err != nil {
		return nil, fmt.Errorf("cloudinit: parse metadata: %w", err)
	}
	if md.Network.Version != 0 && md.Network.Version != 2 {
		return nil, fmt.Errorf("cloudinit: parse metadata: network config version %d, want 2", md.Network.Version)
	}
	return &md, nil
}

// ethernet returns the single ethernet of the network config.
func (md Metadata) ethernet() (string, Ethernet, error) {
	if n := len(md.Network.Ethernets); n != 1 {
		return "", Ethernet{}, fmt.Errorf("cloudinit: metadata has %d ethernets, want exactly 1", n)
	}
	for id, eth := range md.Network.Ethernets {
		return id, eth, nil
	}
	panic("unreachable")
}

// Address returns the first static address of the node's ethernet.
func (md Metadata) Address() (netip.Prefix, error) {
	id, eth, err := md.ethernet()
	if err != nil {
		return netip.Prefix{}, err
	}
	if len(eth.Addresses) == 0 {
		return netip.Prefix{}, fmt.Errorf("cloudinit: ethernet %s has no static address", id)
	}
	p, err := netip.ParsePrefix(eth.Addresses[0])
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cloudinit: ethernet %s: %w", id, err)
	}
	return p, nil
}

// Gateway returns the default gateway of the node's ethernet, from a
// default route ("default", "0.0.0.0/0" or "::/0") or gateway4.
func (md Metadata) Gateway() (netip.Addr, error) {
	id, eth, err := md.ethernet()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, r := range eth.Routes {
		if !isDefaultRoute(r.To) {
			continue
		}
		gw, err := netip.ParseAddr(r.Via)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("cloudinit: ethernet %s: default route: %w", id, err)
		}
		return gw, nil
	}
	if eth.Gateway4 != "" {
		gw, err := netip.ParseAddr(eth.Gateway4)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("cloudinit: ethernet %s: gateway4: %w", id, err)
		}
		return gw, nil
	}
	return netip.Addr{}, errors.New("cloudinit: ethernet " + id + " has no default route")
}

// defaultRouteTo returns the destination of a default route for gw's
// address family. It writes a CIDR rather than netplan's "default"
// because cloud-init's own (non-netplan) renderers, used on distributions
// without netplan, only accept IP networks.
func defaultRouteTo(gw netip.Addr) string {
	if gw.Is4() {
		return "0.0.0.0/0"
	}
	return "::/0"
}

func isDefaultRoute(to string) bool {
	switch to {
	case "default", "0.0.0.0/0", "::/0":
		return true
	}
	return false
}
