package domain

import (
	"net/netip"
	"testing"
)

func TestHostAllowList(t *testing.T) {
	l, err := ParseHostAllowList(" vc1.corp.example , *.lab.example, 10.20.0.0/16, 192.168.1.7, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"vc1.corp.example":  true,
		"VC1.Corp.Example.": true,
		"vc2.corp.example":  false,
		"a.lab.example":     true,
		"a.b.lab.example":   true,
		"lab.example":       false,
		"evil-lab.example":  false,
		"10.20.3.4":         true,
		"10.21.0.1":         false,
		"192.168.1.7":       true,
		"192.168.1.8":       false,
		"2001:db8::1":       true,
		"[2001:db8::1]":     true,
		"::ffff:10.20.0.1":  true,
		"127.0.0.1":         false,
		"localhost":         false,
		"10.20.3.4.nip.io":  false,
	} {
		if got := l.AllowsName(host); got != want {
			t.Errorf("AllowsName(%q) = %v, want %v", host, got, want)
		}
	}
	if !l.AllowsAddr(netip.MustParseAddr("10.20.9.9")) || l.AllowsAddr(netip.MustParseAddr("10.30.0.1")) {
		t.Error("AllowsAddr does not follow the networks")
	}
	empty, err := ParseHostAllowList(" , ")
	if err != nil || !empty.Empty() || !empty.AllowsName("anything.example") {
		t.Errorf("an empty list must allow every host: %v %v", empty, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "vc1:443", "https://vc1", "*.x:443", "[a-"} {
		if _, err := ParseHostAllowList(bad); err == nil {
			t.Errorf("ParseHostAllowList(%q) accepted", bad)
		}
	}
}

func TestServerHost(t *testing.T) {
	for in, want := range map[string]string{
		"vc1.corp.example":              "vc1.corp.example",
		"vc1.corp.example:8443":         "vc1.corp.example",
		"https://10.1.2.3/sdk":          "10.1.2.3",
		"https://[2001:db8::1]:443/sdk": "2001:db8::1",
	} {
		if got, err := ServerHost(in); err != nil || got != want {
			t.Errorf("ServerHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ServerHost("http://vc1"); err == nil {
		t.Error("ServerHost accepted http")
	}
}
