package addons_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/domain"
)

// testSpec is a realistic cluster spec (shared/API.md's example) with
// multi-cluster Antrea over WireGuard and KubeSphere as a host.
func testSpec(t *testing.T) domain.ClusterSpec {
	t.Helper()
	yes := true
	spec := domain.ClusterSpec{
		Name:    "dev-east",
		VCenter: "vc1",
		Placement: domain.Placement{
			Datacenter: "DC0", ComputeCluster: "DC0_C0", Datastore: "LocalDS_0",
			Network: "VM Network", Template: "ubuntu-2404-kube-v1.34",
		},
		KubernetesVersion: domain.KubernetesVersions().Default,
		ControlPlane:      domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools: []domain.WorkerPool{
			{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}},
		},
		Network: domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
		Addons: domain.AddonsSpec{
			Antrea:     &domain.AntreaSpec{Multicluster: true, TrafficEncryption: "wireguard"},
			VSphereCPI: &struct{}{},
			VSphereCSI: &domain.CSISpec{StoragePolicy: "vSAN Default Storage Policy", DefaultClass: &yes},
			KubeSphere: &domain.KubeSphereSpec{Enabled: true, Role: "host"},
		},
	}
	spec.Defaults()
	if err := spec.Validate(); err != nil {
		t.Fatalf("test spec: %v", err)
	}
	return spec
}

// testVCenter is the vCenter connection of the tests; its password has
// characters that need quoting in every format the charts write.
var testVCenter = addons.VCenterConn{
	Host:     "vcenter.example.test",
	Username: "administrator@vsphere.local",
	Password: `Vc-pa"ss\word-42`,
	Insecure: true,
}

// get returns the value at a dotted path of nested maps.
func get(t *testing.T, vals map[string]any, path string) any {
	t.Helper()
	var cur any = vals
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("values: %s: %v is not a map", path, cur)
		}
		if cur, ok = m[k]; !ok {
			return nil
		}
	}
	return cur
}

// checkValues compares the values at dotted paths; a nil want means absent.
func checkValues(t *testing.T, vals map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		if got := get(t, vals, path); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", path, got, w)
		}
	}
	if _, err := json.Marshal(vals); err != nil {
		t.Errorf("values do not encode as JSON: %v", err)
	}
}

func TestAntreaValues(t *testing.T) {
	spec := testSpec(t)
	checkValues(t, addons.AntreaValues(spec), map[string]any{
		"featureGates.Multicluster":               true,
		"multicluster.enableGateway":              true,
		"multicluster.enablePodToPodConnectivity": true,
		"trafficEncapMode":                        "encap",
		"trafficEncryptionMode":                   "wireGuard",
		"wireGuard.port":                          addons.WireGuardPort,
		"nodePortLocal.enable":                    true,
		"nodeIPAM.enable":                         false,
		"egress.exceptCIDRs":                      []any{},
		"egress.maxEgressIPsPerNode":              255,
		"serviceCIDR":                             "10.96.0.0/16",
	})

	spec.Addons.Antrea = &domain.AntreaSpec{TrafficEncryption: "ipsec"}
	checkValues(t, addons.AntreaValues(spec), map[string]any{
		"featureGates.Multicluster":  false,
		"multicluster.enableGateway": false,
		"trafficEncryptionMode":      "ipsec",
		"wireGuard":                  nil,
	})

	// A spec without defaults applied: no encryption, no multi-cluster.
	bare := domain.ClusterSpec{Name: "bare"}
	checkValues(t, addons.AntreaValues(bare), map[string]any{
		"trafficEncryptionMode":     "none",
		"featureGates.Multicluster": false,
		"serviceCIDR":               nil,
	})
}

func TestCPIValues(t *testing.T) {
	checkValues(t, addons.CPIValues(testVCenter, "DC0"), map[string]any{
		"config.enabled":      true,
		"config.vcenter":      "vcenter.example.test",
		"config.port":         443,
		"config.username":     "administrator@vsphere.local",
		"config.password":     testVCenter.Password,
		"config.datacenter":   "DC0",
		"config.insecureFlag": true,
		"config.thumbprint":   nil,
	})

	// The vCenter address as registered: host:port, URL, IPv6; the host goes
	// to config.vcenter without the port, which goes to config.port.
	for _, tt := range []struct {
		host     string
		port     int
		wantHost string
		wantPort int
	}{
		{"vcenter.example.test:8443", 0, "vcenter.example.test", 8443},
		{"https://vcenter.example.test/sdk", 0, "vcenter.example.test", 443},
		{"https://vcenter.example.test:9443/sdk", 0, "vcenter.example.test", 9443},
		{"vcenter.example.test", 10443, "vcenter.example.test", 10443},
		{"[fd00::10]:443", 0, "fd00::10", 443},
		{"10.0.0.5", 0, "10.0.0.5", 443},
	} {
		vc := addons.VCenterConn{Host: tt.host, Port: tt.port, Username: "u", Password: "p", Thumbprint: "AA:BB"}
		checkValues(t, addons.CPIValues(vc, "DC0"), map[string]any{
			"config.vcenter":      tt.wantHost,
			"config.port":         tt.wantPort,
			"config.insecureFlag": false,
			"config.thumbprint":   "AA:BB",
		})
	}
}

func TestCSIValues(t *testing.T) {
	spec := testSpec(t)
	checkValues(t, addons.CSIValues("cw-0f3a9c", testVCenter, "DC0", spec), map[string]any{
		"config.clusterID":                "cw-0f3a9c",
		"config.vcenter":                  "vcenter.example.test",
		"config.port":                     443,
		"config.username":                 "administrator@vsphere.local",
		"config.password":                 testVCenter.Password,
		"config.datacenters":              "DC0",
		"config.insecureFlag":             true,
		"snapshot.enabled":                true,
		"storageClass.create":             true,
		"storageClass.default":            true,
		"storageClass.name":               addons.CSIStorageClass,
		"storageClass.storagePolicyName":  "vSAN Default Storage Policy",
		"volumeSnapshotClass.create":      true,
		"volumeSnapshotClass.name":        addons.CSISnapshotClass,
		"volumeSnapshotClass.nonexistent": nil,
	})

	no := false
	spec.Addons.VSphereCSI = &domain.CSISpec{DefaultClass: &no}
	checkValues(t, addons.CSIValues("cw-1", testVCenter, "DC0", spec), map[string]any{
		"storageClass.default":           false,
		"storageClass.storagePolicyName": nil,
	})

	// Cluster ids longer than the driver takes are shortened, deterministically.
	long := strings.Repeat("a", 40) + "-" + strings.Repeat("b", 40)
	id := addons.CSIValues(long, testVCenter, "DC0", spec)["config"].(map[string]any)["clusterID"].(string)
	if len(id) > addons.MaxCSIClusterIDLength || !strings.HasPrefix(id, strings.Repeat("a", 40)) {
		t.Errorf("cluster id %q (%d characters), want at most %d starting with the original", id, len(id), addons.MaxCSIClusterIDLength)
	}
	if again := addons.CSIClusterID(long); again != id {
		t.Errorf("CSIClusterID is not deterministic: %q, %q", id, again)
	}
	if other := addons.CSIClusterID(long + "c"); other == id {
		t.Errorf("two long ids shorten to the same %q", id)
	}
}

func TestKubeSphereValues(t *testing.T) {
	spec := testSpec(t)
	checkValues(t, addons.KubeSphereValues(spec, "Adm1n-S3cret", "registry.example.test:5000"), map[string]any{
		"multicluster.role":             "host",
		"multicluster.hostClusterName":  "dev-east",
		"authentication.adminPassword":  "Adm1n-S3cret",
		"console.nodePort":              addons.KubeSphereConsolePort,
		"global.imageRegistry":          "registry.example.test:5000",
		"multicluster.nonexistentValue": nil,
	})

	spec.Addons.KubeSphere.Role = "member"
	checkValues(t, addons.KubeSphereValues(spec, "", ""), map[string]any{
		"multicluster.role":            "member",
		"multicluster.hostClusterName": nil,
		"authentication":               nil, // keep (or generate) the password
		"global":                       nil, // the chart's registry
	})
}

func TestAddons(t *testing.T) {
	spec := testSpec(t)
	want := []string{addons.AddonAntrea, addons.AddonCPI, addons.AddonCSI, addons.AddonKubeSphere}
	if got := addons.Addons(spec); !reflect.DeepEqual(got, want) {
		t.Errorf("Addons = %v, want %v", got, want)
	}
	spec.Addons.KubeSphere = nil
	if got := addons.Addons(spec); !reflect.DeepEqual(got, want[:3]) {
		t.Errorf("Addons without KubeSphere = %v, want %v", got, want[:3])
	}
	for addon, want := range map[string][2]string{
		addons.AddonAntrea:     {"antrea", "kube-system"},
		addons.AddonCPI:        {"vsphere-cpi", "kube-system"},
		addons.AddonCSI:        {"vsphere-csi", "vmware-system-csi"},
		addons.AddonKubeSphere: {"ks-core", "kubesphere-system"},
	} {
		name, ns, err := addons.ReleaseOf(addon)
		if err != nil || name != want[0] || ns != want[1] {
			t.Errorf("ReleaseOf(%s) = %s, %s, %v; want %s, %s", addon, name, ns, err, want[0], want[1])
		}
	}
	if _, _, err := addons.ReleaseOf("calico"); err == nil {
		t.Error("ReleaseOf(calico) succeeded")
	}
}
