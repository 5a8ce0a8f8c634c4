package pki

import (
	"crypto/x509"
	"slices"
	"strings"
	"testing"
)

func TestNewClusterPKI(t *testing.T) {
	p, err := NewClusterPKI("prod-east")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ca *CA
		cn string
	}{{p.CA, "kubernetes"}, {p.EtcdCA, "etcd-ca"}, {p.FrontProxyCA, "front-proxy-ca"}} {
		if c.ca.Cert.Subject.CommonName != c.cn {
			t.Errorf("CN = %q, want %q", c.ca.Cert.Subject.CommonName, c.cn)
		}
		if !slices.Equal(c.ca.Cert.Subject.OrganizationalUnit, []string{"prod-east"}) {
			t.Errorf("%s: OU = %v", c.cn, c.ca.Cert.Subject.OrganizationalUnit)
		}
		if !c.ca.Cert.IsCA {
			t.Errorf("%s is not a CA", c.cn)
		}
	}
	if publicKeysEqual(p.CA.Cert.PublicKey, p.EtcdCA.Cert.PublicKey) {
		t.Error("cluster and etcd CAs share a key")
	}

	files := p.Files()
	want := []string{"ca.crt", "ca.key", "etcd/ca.crt", "etcd/ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub"}
	var got []string
	for k, v := range files {
		got = append(got, k)
		if len(v) == 0 {
			t.Errorf("%s is empty", k)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Files() = %v, want %v", got, want)
	}

	back, err := ParseClusterPKI(files)
	if err != nil {
		t.Fatalf("ParseClusterPKI: %v", err)
	}
	if !back.EtcdCA.Cert.Equal(p.EtcdCA.Cert) || !back.FrontProxyCA.Cert.Equal(p.FrontProxyCA.Cert) {
		t.Error("round trip changed a CA")
	}
	// A CA parsed back still issues certificates its original verifies.
	certPEM, _, err := back.EtcdCA.Issue(LeafRequest{CommonName: "kube-apiserver-etcd-client", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	verifyLeaf(t, p.EtcdCA, certPEM, x509.ExtKeyUsageClientAuth)
}

func TestParseClusterPKIErrors(t *testing.T) {
	p, err := NewClusterPKI("c")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewClusterPKI("c")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(map[string][]byte)
		want   string
	}{
		{"missing etcd key", func(f map[string][]byte) { delete(f, EtcdCAKeyFile) }, "missing etcd/ca.crt or etcd/ca.key"},
		{"swapped front-proxy key", func(f map[string][]byte) { f[FrontProxyCAKeyFile] = other.FrontProxyCA.KeyPEM }, "does not match"},
		{"missing sa.pub", func(f map[string][]byte) { delete(f, ServiceAccountPubFile) }, "missing sa.key or sa.pub"},
		{"mismatched sa.pub", func(f map[string][]byte) { f[ServiceAccountPubFile] = other.ServiceAccountPub }, "sa.pub does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := p.Files()
			tt.mutate(files)
			_, err := ParseClusterPKI(files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := NewClusterPKI(""); err == nil {
		t.Error("NewClusterPKI(\"\"): want error")
	}
}
