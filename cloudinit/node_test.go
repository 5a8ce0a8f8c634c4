package cloudinit

import (
	"bytes"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clusterwright/clusterwright/pki"
)

func TestRenderParseNodeRoundTrip(t *testing.T) {
	c := newTestCluster(t)
	tests := []struct {
		name    string
		spec    NodeSpec
		wantCmd []string
	}{
		{"init", c.initSpec(), []string{"kubeadm", "init", "--config", "/etc/kubernetes/kubeadm.yaml"}},
		{"join-control-plane", c.joinSpec("prod-cp-1", "127.20.0.11", true), []string{"kubeadm", "join", "--config", "/etc/kubernetes/kubeadm.yaml"}},
		{"join-worker", c.joinSpec("prod-w-0", "127.20.0.20", false), []string{"kubeadm", "join", "--config", "/etc/kubernetes/kubeadm.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, ud, err := Render(tt.spec)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			// Through guestinfo, as the simulator gets it from vcsim.
			md2, ud2, err := DecodeGuestInfo(EncodeGuestInfo(md, ud))
			if err != nil {
				t.Fatal(err)
			}
			n, err := ParseNode(md2, ud2)
			if err != nil {
				t.Fatalf("ParseNode: %v\n%s", err, ud)
			}
			if string(n.Role) != tt.name {
				t.Errorf("Role = %s", n.Role)
			}
			if !slices.Equal(n.Command, tt.wantCmd) {
				t.Errorf("Command = %q", n.Command)
			}

			want := tt.spec.withDefaults()
			want.MACAddress = strings.ToLower(want.MACAddress)
			want.Kubeadm = withTypeMeta(want.Kubeadm)
			if !reflect.DeepEqual(n.NodeSpec, want) {
				t.Errorf("parsed spec differs:\n got %+v\nwant %+v", n.NodeSpec, want)
			}
		})
	}
}

func TestRenderInitDetails(t *testing.T) {
	c := newTestCluster(t)
	md, ud, err := Render(c.initSpec())
	if err != nil {
		t.Fatal(err)
	}

	m, err := ParseMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	if m.InstanceID != "prod-cp-0" || m.LocalHostname != "prod-cp-0" {
		t.Errorf("identity %q %q", m.InstanceID, m.LocalHostname)
	}
	eth := m.Network.Ethernets["nic0"]
	if eth.Match == nil || eth.Match.MACAddress != "00:50:56:aa:bb:01" {
		t.Errorf("match = %+v", eth.Match)
	}
	if eth.DHCP4 || !slices.Equal(eth.Addresses, []string{"127.20.0.10/16"}) ||
		!slices.Equal(eth.Routes, []Route{{To: "0.0.0.0/0", Via: "127.20.0.1"}}) ||
		eth.Nameservers == nil || !slices.Equal(eth.Nameservers.Addresses, []string{"127.0.0.53"}) {
		t.Errorf("ethernet = %+v", eth)
	}
	if !slices.Equal(m.Redact, []string{"userdata"}) {
		t.Errorf("redact = %v", m.Redact)
	}

	if !bytes.HasPrefix(ud, []byte("#cloud-config\n")) {
		t.Fatal("userdata does not start with #cloud-config")
	}
	var raw map[string]any
	if err := yaml.Unmarshal(ud, &raw); err != nil {
		t.Fatalf("userdata is not YAML: %v", err)
	}
	u, err := ParseUserData(ud)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname != "prod-cp-0" || !u.ManageEtcHosts {
		t.Errorf("hostname %q manage_etc_hosts %v", u.Hostname, u.ManageEtcHosts)
	}
	if len(u.Users) != 1 || u.Users[0].Name != "clusterwright" || u.Users[0].Sudo != "ALL=(ALL) NOPASSWD:ALL" ||
		!slices.Equal(u.Users[0].SSHAuthorizedKeys, []string{c.sshKey}) {
		t.Errorf("users = %+v", u.Users)
	}
	if !reflect.DeepEqual(u.RunCmd, []Command{{"kubeadm", "init", "--config", "/etc/kubernetes/kubeadm.yaml"}}) {
		t.Errorf("runcmd = %q", u.RunCmd)
	}

	wantModes := map[string]string{
		"/etc/kubernetes/pki/ca.crt":             "0644",
		"/etc/kubernetes/pki/ca.key":             "0600",
		"/etc/kubernetes/pki/etcd/ca.crt":        "0644",
		"/etc/kubernetes/pki/etcd/ca.key":        "0600",
		"/etc/kubernetes/pki/front-proxy-ca.crt": "0644",
		"/etc/kubernetes/pki/front-proxy-ca.key": "0600",
		"/etc/kubernetes/pki/sa.key":             "0600",
		"/etc/kubernetes/pki/sa.pub":             "0644",
		"/etc/kubernetes/kubeadm.yaml":           "0600",
	}
	if len(u.WriteFiles) != len(wantModes) {
		t.Errorf("%d files, want %d", len(u.WriteFiles), len(wantModes))
	}
	for p, mode := range wantModes {
		f, ok := u.File(p)
		if !ok {
			t.Errorf("%s not written", p)
			continue
		}
		if f.Permissions != mode || f.Owner != "root:root" {
			t.Errorf("%s: mode %s owner %s, want %s root:root", p, f.Permissions, f.Owner, mode)
		}
	}

	// The CA arrives byte for byte and still pairs with its key.
	crt, _ := u.File("/etc/kubernetes/pki/ca.crt")
	key, _ := u.File("/etc/kubernetes/pki/ca.key")
	ca, err := pki.ParseCA([]byte(crt.Content), []byte(key.Content))
	if err != nil {
		t.Fatalf("CA from userdata: %v", err)
	}
	if pki.CACertHash(ca.Cert) != c.caHash {
		t.Error("CA in userdata is not the cluster CA")
	}

	f, _ := u.File("/etc/kubernetes/kubeadm.yaml")
	docs := yamlDocs(t, []byte(f.Content))
	if len(docs) != 2 || docs[0]["kind"] != "InitConfiguration" || docs[1]["kind"] != "ClusterConfiguration" {
		t.Errorf("kubeadm.yaml documents: %v", docs)
	}
}

func TestRenderValidation(t *testing.T) {
	c := newTestCluster(t)
	tests := []struct {
		name   string
		mutate func(*NodeSpec)
		want   string
	}{
		{"bad hostname", func(s *NodeSpec) { s.Hostname = "Prod_CP" }, "hostname"},
		{"no address", func(s *NodeSpec) { s.Address = netip.Prefix{} }, "address is not set"},
		{"no gateway", func(s *NodeSpec) { s.Gateway = netip.Addr{} }, "gateway is not set"},
		{"gateway family", func(s *NodeSpec) { s.Gateway = netip.MustParseAddr("fd00::1") }, "different families"},
		{"bad DNS", func(s *NodeSpec) { s.DNS = []string{"dns.example.com"} }, "DNS server"},
		{"no SSH key", func(s *NodeSpec) { s.SSHAuthorizedKey = "" }, "SSH authorized key"},
		{"bad SSH key", func(s *NodeSpec) { s.SSHAuthorizedKey = "ssh-ed25519 nope" }, "SSH authorized key"},
		{"unknown role", func(s *NodeSpec) { s.Role = "master" }, "unknown role"},
		{"init without cluster config", func(s *NodeSpec) { s.Kubeadm.Cluster = nil }, "needs InitConfiguration and ClusterConfiguration"},
		{"init with join", func(s *NodeSpec) { s.Kubeadm.Join = &JoinConfiguration{} }, "must not have a JoinConfiguration"},
		{"init without CA key", func(s *NodeSpec) { s.PKIFiles = map[string][]byte{"ca.crt": []byte("x")} }, "needs PKI file ca.key"},
		{"escaping PKI path", func(s *NodeSpec) { s.PKIFiles["../../shadow"] = []byte("x") }, "must be relative"},
		{"absolute PKI path", func(s *NodeSpec) { s.PKIFiles["/etc/passwd"] = []byte("x") }, "must be relative"},
		{"init bad token", func(s *NodeSpec) { s.Kubeadm.Init.BootstrapTokens[0].Token.Secret = "short" }, "bootstrap token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := c.initSpec()
			spec.PKIFiles = c.pki.Files() // a fresh map per case
			tt.mutate(&spec)
			_, _, err := Render(spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRenderJoinValidation(t *testing.T) {
	c := newTestCluster(t)
	tests := []struct {
		name   string
		cp     bool
		mutate func(*NodeSpec)
		want   string
	}{
		{"no join config", false, func(s *NodeSpec) { s.Kubeadm.Join = nil }, "needs a JoinConfiguration"},
		{"join with cluster config", false, func(s *NodeSpec) { s.Kubeadm.Cluster = &ClusterConfiguration{} }, "only a JoinConfiguration"},
		{"worker with PKI", false, func(s *NodeSpec) { s.PKIFiles = c.pki.Files() }, "must not receive cluster PKI"},
		{"worker with controlPlane", false, func(s *NodeSpec) { s.Kubeadm.Join.ControlPlane = &JoinControlPlane{} }, "must not have JoinConfiguration.controlPlane"},
		{"control plane without controlPlane", true, func(s *NodeSpec) { s.Kubeadm.Join.ControlPlane = nil }, "needs JoinConfiguration.controlPlane"},
		{"control plane without PKI", true, func(s *NodeSpec) { s.PKIFiles = nil }, "needs PKI file"},
		{"no discovery", false, func(s *NodeSpec) { s.Kubeadm.Join.Discovery.BootstrapToken = nil }, "discovery.bootstrapToken"},
		{"bad discovery token", false, func(s *NodeSpec) { s.Kubeadm.Join.Discovery.BootstrapToken.Token = "abc" }, "discovery token"},
		{"no CA pin", false, func(s *NodeSpec) { s.Kubeadm.Join.Discovery.BootstrapToken.CACertHashes = nil }, "caCertHashes"},
		{"no endpoint", false, func(s *NodeSpec) { s.Kubeadm.Join.Discovery.BootstrapToken.APIServerEndpoint = "" }, "apiServerEndpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := c.joinSpec("prod-n", "127.20.0.30", tt.cp)
			tt.mutate(&spec)
			_, _, err := Render(spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRenderWithoutMAC(t *testing.T) {
	c := newTestCluster(t)
	spec := c.joinSpec("prod-w-1", "127.20.0.21", false)
	md, _, err := Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParseMetadata(md)
	if got := m.Network.Ethernets["nic0"].Match; got == nil || got.Name != "e*" || got.MACAddress != "" {
		t.Errorf("match = %+v, want name e*", got)
	}
	if m.InstanceID != "prod-w-1" {
		t.Errorf("instance-id defaults to hostname, got %q", m.InstanceID)
	}
}

// mutateUserData renders spec and applies edit to the userdata text.
func mutateUserData(t *testing.T, spec NodeSpec, edit func(string) string) (md, ud []byte) {
	t.Helper()
	md, ud, err := Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	return md, []byte(edit(string(ud)))
}

func TestParseNodeErrors(t *testing.T) {
	c := newTestCluster(t)
	worker := c.joinSpec("prod-w-0", "127.20.0.20", false)
	md, ud, err := Render(worker)
	if err != nil {
		t.Fatal(err)
	}
	cut := func(s, from string) string { i := strings.Index(s, from); return s[:i] }

	tests := []struct {
		name   string
		md, ud []byte
		want   string
	}{
		{"not cloud-config", md, []byte("#!/bin/sh\nkubeadm join\n"), "#cloud-config"},
		{"missing runcmd", md, []byte(cut(string(ud), "runcmd:")), "no runcmd"},
		{"runcmd without kubeadm", md, []byte(cut(string(ud), "runcmd:") + "runcmd:\n- [echo, hi]\n"), "no kubeadm init or join"},
		{"kubeadm without --config", md, []byte(cut(string(ud), "runcmd:") + "runcmd:\n- [kubeadm, join]\n"), "no --config"},
		{"config not written", md, []byte(cut(string(ud), "runcmd:") + "runcmd:\n- [kubeadm, join, --config=/tmp/k.yaml]\n"), "/tmp/k.yaml is not in write_files"},
		{"bad address", []byte(strings.Replace(string(md), "127.20.0.20/16", "127.20.0.300/16", 1)), ud, "ethernet nic0"},
		{"address without prefix", []byte(strings.Replace(string(md), "127.20.0.20/16", "127.20.0.20", 1)), ud, "ethernet nic0"},
		{"no gateway", []byte(strings.Replace(string(md), "0.0.0.0/0", "10.0.0.0/8", 1)), ud, "no default route"},
		{"unknown kind", md, []byte(strings.Replace(string(ud), "kind: JoinConfiguration", "kind: JoinConfig", 1)), "unsupported kind"},
		{"unknown apiVersion", md, []byte(strings.Replace(string(ud), "kubeadm.k8s.io/v1beta4", "kubeadm.k8s.io/v1beta3", 1)), "unsupported apiVersion"},
		{"bad metadata", []byte("network: ["), ud, "parse metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNode(tt.md, tt.ud)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseNode error = %v, want it to contain %q", err, tt.want)
			}
		})
	}

	// A worker whose userdata was edited to carry the cluster CA key is
	// rejected on the way in too.
	md2, ud2 := mutateUserData(t, worker, func(s string) string {
		return strings.Replace(s, "write_files:\n", "write_files:\n- path: /etc/kubernetes/pki/ca.key\n  content: x\n", 1)
	})
	if _, err := ParseNode(md2, ud2); err == nil || !strings.Contains(err.Error(), "must not receive cluster PKI") {
		t.Errorf("worker with CA key: %v", err)
	}
}

func TestParseNodeShellRunCmd(t *testing.T) {
	// A kubeadm command given as a shell string (sh -c) is not recognised:
	// Clusterwright writes argument vectors only.
	c := newTestCluster(t)
	md, ud := mutateUserData(t, c.joinSpec("prod-w-0", "127.20.0.20", false), func(s string) string {
		i := strings.Index(s, "runcmd:")
		return s[:i] + "runcmd:\n- kubeadm join --config /etc/kubernetes/kubeadm.yaml\n"
	})
	if _, err := ParseNode(md, ud); err == nil {
		t.Error("shell-string kubeadm command: want error")
	}
}

func TestGuestInfoSize(t *testing.T) {
	// guestinfo values travel in the VM's configuration; keep a control
	// plane's bootstrap far below the 64 KiB that older ESXi releases
	// accept per value.
	c := newTestCluster(t)
	md, ud, err := Render(c.initSpec())
	if err != nil {
		t.Fatal(err)
	}
	ec := EncodeGuestInfo(md, ud)
	for _, k := range []string{GuestInfoMetadata, GuestInfoUserdata} {
		if n := len(ec[k]); n > 32<<10 {
			t.Errorf("%s is %d bytes encoded", k, n)
		}
	}
}

// TestRenderCertificateKeyJoin renders a control plane that joins with a certificate
// key: no shared PKI, the key in the join configuration, and the parse gives it back;
// a malformed key, or a key together with CA files, is refused.
func TestRenderCertificateKeyJoin(t *testing.T) {
	key, err := pki.NewCertificateKey()
	if err != nil {
		t.Fatal(err)
	}
	spec := certKeyJoinSpec(t, key)
	md, ud, err := Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ud), "PRIVATE KEY") {
		t.Error("the userdata holds a private key")
	}
	n, err := ParseNode(md, ud)
	if err != nil {
		t.Fatal(err)
	}
	if n.Role != RoleJoinControlPlane || n.Kubeadm.Join.ControlPlane.CertificateKey != key || len(n.PKIFiles) != 0 {
		t.Errorf("parsed role %s, key kept %v, %d PKI files", n.Role, n.Kubeadm.Join.ControlPlane.CertificateKey == key, len(n.PKIFiles))
	}
	bad := certKeyJoinSpec(t, "not-hex")
	if _, _, err := Render(bad); err == nil {
		t.Error("a malformed certificate key rendered")
	}
	withCA := certKeyJoinSpec(t, key)
	withCA.PKIFiles = map[string][]byte{pki.CAKeyFile: []byte("k")}
	if _, _, err := Render(withCA); err == nil {
		t.Error("a join with a certificate key and a CA key rendered")
	}
}

// certKeyJoinSpec is a control plane of a test cluster that joins with key.
func certKeyJoinSpec(t *testing.T, key string) NodeSpec {
	t.Helper()
	spec := newTestCluster(t).joinSpec("cp-2", "127.20.0.12", true)
	spec.PKIFiles = nil
	spec.Kubeadm.Join.ControlPlane.CertificateKey = key
	return spec
}
