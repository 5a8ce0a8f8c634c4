package node

import (
	"errors"
	"testing"
)

func TestPodIPs(t *testing.T) {
	p := newPodIPs()
	if _, err := p.assign("ns/a", "", ""); !errors.Is(err, errNoPodCIDR) {
		t.Fatalf("assign without a pod CIDR: %v", err)
	}
	a, err := p.assign("ns/a", "10.244.1.0/24", "")
	if err != nil || a.String() != "10.244.1.2" {
		t.Fatalf("first address %s, %v; want 10.244.1.2 (after the gateway)", a, err)
	}
	if again, _ := p.assign("ns/a", "10.244.1.0/24", ""); again != a {
		t.Errorf("second assign for the same Pod: %s, want %s", again, a)
	}
	// A Pod that reports an address (after a kubelet restart) keeps it.
	c, err := p.assign("ns/c", "10.244.1.0/24", "10.244.1.77")
	if err != nil || c.String() != "10.244.1.77" {
		t.Errorf("reported address: %s, %v", c, err)
	}
	b, _ := p.assign("ns/b", "10.244.1.0/24", "10.244.1.2") // taken by ns/a
	if b.String() != "10.244.1.3" {
		t.Errorf("address of ns/b = %s, want 10.244.1.3", b)
	}
	p.release("ns/a")
	if d, _ := p.assign("ns/d", "10.244.1.0/24", ""); d.String() != "10.244.1.2" {
		t.Errorf("released address not reused: got %s", d)
	}

	small := newPodIPs()
	for i, want := range []string{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"} {
		got, err := small.assign(string(rune('a'+i)), "10.0.0.0/29", "")
		if err != nil || got.String() != want {
			t.Fatalf("assign %d: %s, %v; want %s", i, got, err, want)
		}
	}
	if _, err := small.assign("full", "10.0.0.0/29", ""); err == nil {
		t.Error("a full /29 handed out its broadcast address")
	}
}

func TestDNSIP(t *testing.T) {
	for subnet, want := range map[string]string{"10.96.0.0/12": "10.96.0.10", "10.100.0.0/16": "10.100.0.10"} {
		got, err := dnsIP(subnet)
		if err != nil || got.String() != want {
			t.Errorf("dnsIP(%s) = %s, %v; want %s", subnet, got, err, want)
		}
	}
	if _, err := dnsIP("10.0.0.0/29"); err == nil {
		t.Error("dnsIP of a /29 succeeded")
	}
}
