package cloudinit

import (
	"net/netip"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterwright/clusterwright/pki"
)

// testCluster is the material a provisioning run would have.
type testCluster struct {
	pki       *pki.ClusterPKI
	token     pki.BootstrapToken
	caHash    string
	sshKey    string
	endpoint  string
	gateway   netip.Addr
	clusterPK map[string][]byte
}

func newTestCluster(t *testing.T) *testCluster {
	t.Helper()
	p, err := pki.NewClusterPKI("prod")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := pki.NewBootstrapToken()
	if err != nil {
		t.Fatal(err)
	}
	_, authorized, err := pki.NewSSHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &testCluster{
		pki:       p,
		token:     tok,
		caHash:    pki.CACertHash(p.CA.Cert),
		sshKey:    authorized,
		endpoint:  "127.20.0.10:6443",
		gateway:   netip.MustParseAddr("127.20.0.1"),
		clusterPK: p.Files(),
	}
}

func (c *testCluster) initSpec() NodeSpec {
	addr := netip.MustParsePrefix("127.20.0.10/16")
	return NodeSpec{
		Hostname:   "prod-cp-0",
		MACAddress: "00:50:56:AA:BB:01",
		Address:    addr,
		Gateway:    c.gateway,
		DNS:        []string{"127.0.0.53"},
		Role:       RoleInit,
		Kubeadm: KubeadmConfig{
			Init: &InitConfiguration{
				BootstrapTokens:  []BootstrapToken{NodeBootstrapToken(c.token, 24*time.Hour)},
				NodeRegistration: NodeRegistration("prod-cp-0", addr.Addr()),
				LocalAPIEndpoint: APIEndpoint{AdvertiseAddress: addr.Addr().String(), BindPort: 6443},
			},
			Cluster: &ClusterConfiguration{
				KubernetesVersion:    "v1.37.2",
				ClusterName:          "prod",
				ControlPlaneEndpoint: c.endpoint,
				Networking:           Networking{PodSubnet: "10.244.0.0/16", ServiceSubnet: "10.96.0.0/12", DNSDomain: "cluster.local"},
				APIServer: APIServer{
					CertSANs:  []string{"127.20.0.10", "prod.example.com"},
					ExtraArgs: []Arg{{Name: "cloud-provider", Value: "external"}},
				},
				ControllerManager:           ControlPlaneComponent{ExtraArgs: []Arg{{Name: "cloud-provider", Value: "external"}}},
				Scheduler:                   ControlPlaneComponent{ExtraArgs: []Arg{{Name: "bind-address", Value: "0.0.0.0"}}},
				Etcd:                        Etcd{Local: &LocalEtcd{DataDir: "/var/lib/etcd"}},
				EncryptionAlgorithm:         "ECDSA-P256",
				CertificateValidityPeriod:   &metav1.Duration{Duration: 365 * 24 * time.Hour},
				CACertificateValidityPeriod: &metav1.Duration{Duration: 10 * 365 * 24 * time.Hour},
			},
		},
		PKIFiles:         c.clusterPK,
		SSHAuthorizedKey: c.sshKey,
	}
}

func (c *testCluster) joinSpec(name, ip string, controlPlane bool) NodeSpec {
	addr := netip.MustParsePrefix(ip + "/16")
	join := &JoinConfiguration{
		NodeRegistration: NodeRegistration(name, addr.Addr()),
		Discovery: Discovery{BootstrapToken: &BootstrapTokenDiscovery{
			Token:             c.token.String(),
			APIServerEndpoint: c.endpoint,
			CACertHashes:      []string{c.caHash},
		}},
	}
	spec := NodeSpec{
		Hostname:         name,
		Address:          addr,
		Gateway:          c.gateway,
		Role:             RoleJoinWorker,
		Kubeadm:          KubeadmConfig{Join: join},
		SSHAuthorizedKey: c.sshKey,
		SSHUser:          "ops",
	}
	if controlPlane {
		spec.Role = RoleJoinControlPlane
		join.ControlPlane = &JoinControlPlane{LocalAPIEndpoint: APIEndpoint{AdvertiseAddress: addr.Addr().String(), BindPort: 6443}}
		spec.PKIFiles = c.clusterPK
	}
	return spec
}
