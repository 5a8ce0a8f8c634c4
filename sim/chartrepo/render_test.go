package chartrepo_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestRenderedConfig checks, without a cluster, how the charts turn values
// into the configuration files the real components read.
func TestRenderedConfig(t *testing.T) {
	t.Run("vsphere-csi conf", func(t *testing.T) {
		objs, _, err := render(t, "vsphere-csi", "vmware-system-csi", fullValues["vsphere-csi"])
		if err != nil {
			t.Fatal(err)
		}
		conf := stringData(t, objs["Secret/vsphere-config-secret"])["csi-vsphere.conf"]
		for _, want := range []string{
			"[Global]\ncluster-id = \"cw-0f3a9c\"\n",
			"[VirtualCenter \"vcenter.example.test\"]\n",
			"insecure-flag = \"true\"\n",
			"user = \"administrator@vsphere.local\"\n",
			`password = "pa\"ss\\word"` + "\n",
			"port = \"443\"\n",
			"datacenters = \"DC0,DC1\"\n",
			"[Snapshot]\nglobal-max-snapshots-per-block-volume = 3\n",
		} {
			if !strings.Contains(conf, want) {
				t.Errorf("csi-vsphere.conf lacks %q:\n%s", want, conf)
			}
		}
	})
	t.Run("vsphere-cpi conf", func(t *testing.T) {
		objs, _, err := render(t, "vsphere-cpi", "kube-system", fullValues["vsphere-cpi"])
		if err != nil {
			t.Fatal(err)
		}
		var conf struct {
			Global struct {
				Port                        int
				InsecureFlag                bool
				SecretName, SecretNamespace string
			}
			Vcenter map[string]struct {
				Server      string
				Datacenters []string
			}
			Labels struct{ Region, Zone string }
		}
		decodeYAML(t, stringData(t, objs["ConfigMap/vsphere-cloud-config"])["vsphere.conf"], &conf)
		vc := conf.Vcenter["vcenter.example.test"]
		if conf.Global.Port != 443 || !conf.Global.InsecureFlag || conf.Global.SecretName != "vsphere-cloud-secret" ||
			conf.Global.SecretNamespace != "kube-system" || vc.Server != "vcenter.example.test" ||
			strings.Join(vc.Datacenters, ",") != "DC0,DC1" || conf.Labels.Region != "k8s-region" || conf.Labels.Zone != "k8s-zone" {
			t.Errorf("vsphere.conf = %+v", conf)
		}
		secret := stringData(t, objs["Secret/vsphere-cloud-secret"])
		if secret["vcenter.example.test.username"] != "administrator@vsphere.local" || secret["vcenter.example.test.password"] != `pa"ss\word` {
			t.Errorf("vsphere-cloud-secret = %q", secret)
		}
	})
	t.Run("ks-core images", func(t *testing.T) {
		objs, notes, err := render(t, "ks-core", "kubesphere-system", fullValues["ks-core"])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"ks-apiserver", "ks-console", "ks-controller-manager"} {
			want := "registry.example.test:5000/kubesphere/" + name + ":v4.1.3"
			if got := firstImage(objs["Deployment/"+name]); got != want {
				t.Errorf("Deployment %s image %q, want %q", name, got, want)
			}
		}
		if strings.Contains(notes, "Adm1n-S3cret") {
			t.Errorf("NOTES show the admin password:\n%s", notes)
		}
	})

	// Values the real components would reject fail the render.
	for _, tc := range []struct {
		chart, namespace, want string
		vals                   map[string]any
	}{
		{"ks-core", "kubesphere-system", "multicluster.role must be host or member",
			map[string]any{"multicluster": map[string]any{"role": "edge"}}},
		{"vsphere-csi", "vmware-system-csi", "at most 64 characters",
			map[string]any{"config": map[string]any{"clusterID": strings.Repeat("c", 65)}}},
		{"vsphere-csi", "vmware-system-csi", "line breaks",
			map[string]any{"config": map[string]any{"password": "two\nlines"}}},
		{"vsphere-cpi", "kube-system", "without a port",
			map[string]any{"config": map[string]any{"enabled": true, "vcenter": "127.0.0.1:8989"}}},
		{"vsphere-cpi", "kube-system", "config.vcenter is required",
			map[string]any{"config": map[string]any{"enabled": true}}},
		{"antrea", "kube-system", "must differ from the release namespace",
			map[string]any{"multicluster": map[string]any{
				"leader": map[string]any{"enabled": true, "namespace": "kube-system"},
				"member": map[string]any{"enabled": true},
			}}},
	} {
		if _, _, err := render(t, tc.chart, tc.namespace, tc.vals); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("render %s with %v: error %v, want one containing %q", tc.chart, tc.vals, err, tc.want)
		}
	}
}

// firstImage is the image of the first container of a workload.
func firstImage(obj map[string]any) string {
	var w struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct{ Image string }
				}
			}
		}
	}
	b, _ := yaml.Marshal(obj)
	if yaml.Unmarshal(b, &w) != nil || len(w.Spec.Template.Spec.Containers) == 0 {
		return ""
	}
	return w.Spec.Template.Spec.Containers[0].Image
}
