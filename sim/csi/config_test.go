package csi

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	conf := `[Global]
cluster-id = "c-1"

[VirtualCenter "127.0.0.1"]
insecure-flag = "false"
user = "administrator@vsphere.local"
password = "p\"w\\d"
port = "8443"
datacenters = "DC0, DC1"
thumbprint = "AB:CD"

[Snapshot]
global-max-snapshots-per-block-volume = 3
`
	cfg, err := ParseConfig([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{ClusterID: "c-1", Host: "127.0.0.1", Port: 8443, User: "administrator@vsphere.local",
		Password: `p"w\d`, Thumbprint: "AB:CD", Datacenters: []string{"DC0", "DC1"}}
	if cfg.ClusterID != want.ClusterID || cfg.Host != want.Host || cfg.Port != want.Port || cfg.User != want.User ||
		cfg.Password != want.Password || cfg.Insecure || cfg.Thumbprint != want.Thumbprint ||
		strings.Join(cfg.Datacenters, "|") != "DC0|DC1" {
		t.Errorf("ParseConfig = %+v, want %+v", cfg, want)
	}

	for _, tc := range []struct{ name, conf, wantErr string }{
		{"no vCenter", "[Global]\ncluster-id = x\n", "VirtualCenter"},
		{"bad port", "[VirtualCenter \"h\"]\nuser = u\nport = \"x\"\ndatacenters = d\n", "port"},
		{"no datacenters", "[VirtualCenter \"h\"]\nuser = u\n", "datacenters"},
		{"bad line", "[VirtualCenter \"h\"]\nuser\n", "line 2"},
		{"bad insecure-flag", "[VirtualCenter \"h\"]\nuser = u\ninsecure-flag = maybe\ndatacenters = d\n", "insecure-flag"},
	} {
		_, err := ParseConfig([]byte(tc.conf))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want one naming %q", tc.name, err, tc.wantErr)
		}
	}
	_, err = ParseConfig([]byte("[VirtualCenter \"h\"]\nuser = u\npassword = \"secret-value\nport = x\n"))
	if err == nil || strings.Contains(err.Error(), "secret-value") {
		t.Errorf("error for an unterminated password: %v (must not quote it)", err)
	}
}
