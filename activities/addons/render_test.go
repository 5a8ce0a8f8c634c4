package addons_test

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/sim/charts"
)

// TestValuesRender renders the simulator's charts, whose value names are
// the real charts', with the values functions' output, client-side: every
// template accepts them (the charts `fail` on bad values) and the objects
// the installer relies on come out.
func TestValuesRender(t *testing.T) {
	spec := testSpec(t)
	for _, tt := range []struct {
		chart, namespace string
		vals             map[string]any
		want             []string // substrings of the manifest
	}{
		{"antrea", "kube-system", addons.AntreaValues(spec), []string{
			"Multicluster: true", `trafficEncryptionMode: "wireGuard"`, "port: 51820", "enableGateway: true",
		}},
		{"vsphere-cpi", "kube-system", addons.CPIValues(testVCenter, "DC0"), []string{
			`server: "vcenter.example.test"`, "name: vsphere-cloud-secret",
		}},
		{"vsphere-csi", "vmware-system-csi", addons.CSIValues("cw-0f3a9c", testVCenter, "DC0", spec), []string{
			"kind: StorageClass", `storagepolicyname: "vSAN Default Storage Policy"`, "kind: VolumeSnapshotClass",
		}},
		{"ks-core", "kubesphere-system", addons.KubeSphereValues(spec, "Adm1n-S3cret", "registry.example.test:5000"), []string{
			"clusterRole: host", "registry.example.test:5000/kubesphere/ks-apiserver", "nodePort: 30880",
		}},
	} {
		t.Run(tt.chart, func(t *testing.T) {
			ch, err := charts.Load(tt.chart)
			if err != nil {
				t.Fatal(err)
			}
			install := action.NewInstall(&action.Configuration{})
			install.DryRun, install.ClientOnly = true, true
			install.ReleaseName, install.Namespace = tt.chart, tt.namespace
			install.KubeVersion = &chartutil.KubeVersion{Version: "v1.34.2", Major: "1", Minor: "34"}
			rel, err := install.Run(ch, tt.vals)
			if err != nil {
				t.Fatalf("render %s: %v", tt.chart, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(rel.Manifest, w) {
					t.Errorf("%s manifest lacks %q", tt.chart, w)
				}
			}
			if strings.Contains(rel.Info.Notes, testVCenter.Password) || strings.Contains(rel.Info.Notes, "Adm1n-S3cret") {
				t.Errorf("%s NOTES show a password", tt.chart)
			}
		})
	}
}
