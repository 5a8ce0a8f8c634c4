package cloudinit

import (
	"net/netip"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestMetadataRoundTrip(t *testing.T) {
	md := Metadata{
		InstanceID:    "prod-cp-0",
		LocalHostname: "prod-cp-0",
		Network: NetworkConfig{Version: 2, Ethernets: map[string]Ethernet{"nic0": {
			Match:       &Match{MACAddress: "00:50:56:aa:bb:cc"},
			Addresses:   []string{"127.20.0.10/16"},
			Routes:      []Route{{To: "0.0.0.0/0", Via: "127.20.0.1"}},
			Nameservers: &Nameservers{Addresses: []string{"127.0.0.53"}},
		}}},
	}
	out, err := RenderMetadata(md)
	if err != nil {
		t.Fatal(err)
	}

	// What cloud-init sees (a YAML mapping with these keys).
	var raw map[string]any
	if err := yaml.Unmarshal(out, &raw); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out)
	}
	if raw["instance-id"] != "prod-cp-0" || raw["local-hostname"] != "prod-cp-0" {
		t.Errorf("identity keys wrong:\n%s", out)
	}
	nic := raw["network"].(map[string]any)["ethernets"].(map[string]any)["nic0"].(map[string]any)
	if nic["dhcp4"] != false {
		t.Errorf("dhcp4 = %v, want false", nic["dhcp4"])
	}
	if raw["network"].(map[string]any)["version"] != 2 {
		t.Errorf("network version wrong:\n%s", out)
	}

	got, err := ParseMetadata(out)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := got.Address()
	if err != nil || addr != netip.MustParsePrefix("127.20.0.10/16") {
		t.Errorf("Address() = %v, %v", addr, err)
	}
	gw, err := got.Gateway()
	if err != nil || gw != netip.MustParseAddr("127.20.0.1") {
		t.Errorf("Gateway() = %v, %v", gw, err)
	}
}

func TestMetadataGatewayForms(t *testing.T) {
	tests := []struct {
		name string
		eth  Ethernet
		want string
	}{
		{"netplan default", Ethernet{Addresses: []string{"10.0.0.5/24"}, Routes: []Route{{To: "default", Via: "10.0.0.1"}}}, "10.0.0.1"},
		{"ipv4 cidr", Ethernet{Addresses: []string{"10.0.0.5/24"}, Routes: []Route{{To: "192.168.0.0/16", Via: "10.0.0.9"}, {To: "0.0.0.0/0", Via: "10.0.0.1"}}}, "10.0.0.1"},
		{"ipv6", Ethernet{Addresses: []string{"fd00::5/64"}, Routes: []Route{{To: "::/0", Via: "fd00::1"}}}, "fd00::1"},
		{"gateway4", Ethernet{Addresses: []string{"10.0.0.5/24"}, Gateway4: "10.0.0.254"}, "10.0.0.254"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := Metadata{Network: NetworkConfig{Version: 2, Ethernets: map[string]Ethernet{"nic0": tt.eth}}}
			gw, err := md.Gateway()
			if err != nil || gw.String() != tt.want {
				t.Errorf("Gateway() = %v, %v; want %s", gw, err, tt.want)
			}
		})
	}
}

func TestMetadataErrors(t *testing.T) {
	one := func(e Ethernet) Metadata {
		return Metadata{Network: NetworkConfig{Version: 2, Ethernets: map[string]Ethernet{"nic0": e}}}
	}
	if _, err := (Metadata{}).Address(); err == nil {
		t.Error("no ethernet: want error")
	}
	two := Metadata{Network: NetworkConfig{Version: 2, Ethernets: map[string]Ethernet{"a": {}, "b": {}}}}
	if _, err := two.Address(); err == nil || !strings.Contains(err.Error(), "2 ethernets") {
		t.Errorf("two ethernets: %v", err)
	}
	if _, err := one(Ethernet{DHCP4: true}).Address(); err == nil {
		t.Error("no static address: want error")
	}
	if _, err := one(Ethernet{Addresses: []string{"127.20.0.10"}}).Address(); err == nil {
		t.Error("address without prefix length: want error")
	}
	if _, err := one(Ethernet{Addresses: []string{"10.0.0.5/24"}}).Gateway(); err == nil {
		t.Error("no default route: want error")
	}
	if _, err := one(Ethernet{Routes: []Route{{To: "default", Via: "gw"}}}).Gateway(); err == nil {
		t.Error("bad gateway: want error")
	}
	if _, err := ParseMetadata([]byte("network:\n  version: 1\n")); err == nil {
		t.Error("network config v1: want error")
	}
	if _, err := ParseMetadata([]byte("instance-id: [")); err == nil {
		t.Error("bad YAML: want error")
	}
}

func TestParseMetadataJSON(t *testing.T) {
	// cloud-init accepts JSON metadata too (govc users often write it).
	md, err := ParseMetadata([]byte(`{"instance-id":"x","local-hostname":"x","network":{"version":2,"ethernets":{"nic0":{"addresses":["10.1.2.3/8"],"gateway4":"10.0.0.1"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := md.Address(); err != nil || a.String() != "10.1.2.3/8" {
		t.Errorf("Address() = %v, %v", a, err)
	}
}
