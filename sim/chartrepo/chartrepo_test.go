package chartrepo_test

import (
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim/chartrepo"
	"github.com/clusterwright/clusterwright/sim/charts"
)

// wantCharts are the charts, versions and release namespaces the add-on
// installer relies on.
var wantCharts = map[string]struct{ version, appVersion, namespace string }{
	"antrea":      {"2.7.0", "v2.7.0", "kube-system"},
	"vsphere-cpi": {"1.35.0", "v1.35.0", "kube-system"},
	"vsphere-csi": {"3.7.1", "v3.7.1", "vmware-system-csi"},
	"ks-core":     {"1.1.4", "v4.1.3", "kubesphere-system"},
}

// wantCPIVersions are the vsphere-cpi versions served, one per supported
// Kubernetes minor, each with appVersion "v" + version.
var wantCPIVersions = []string{"1.35.0", "1.36.0", "1.37.0"}

// fullValues turn on every optional template of each chart, so that lint
// and the install test cover them.
var fullValues = map[string]map[string]any{
	"antrea": {
		"featureGates":          map[string]any{"Multicluster": true, "Egress": true},
		"trafficEncryptionMode": "wireGuard",
		"wireGuard":             map[string]any{"port": 51821},
		"nodePortLocal":         map[string]any{"enable": true},
		"egress":                map[string]any{"exceptCIDRs": []any{"10.0.0.0/8"}},
		"multicluster": map[string]any{
			"enableGateway":              true,
			"enablePodToPodConnectivity": true,
			"leader":                     map[string]any{"enabled": true},
			"controller": map[string]any{
				"podCIDRs":    []any{"10.244.0.0/16"},
				"serviceCIDR": "10.96.0.0/12",
			},
		},
	},
	"vsphere-cpi": {
		"config": map[string]any{
			"enabled":    true,
			"vcenter":    "vcenter.example.test",
			"username":   "administrator@vsphere.local",
			"password":   `pa"ss\word`,
			"datacenter": "DC0, DC1",
			"region":     "k8s-region",
			"zone":       "k8s-zone",
		},
	},
	"vsphere-csi": {
		"config": map[string]any{
			"clusterID":   "cw-0f3a9c",
			"vcenter":     "vcenter.example.test",
			"username":    "administrator@vsphere.local",
			"password":    `pa"ss\word`,
			"datacenters": []any{"DC0", "DC1"},
		},
		"snapshot": map[string]any{"enabled": true},
		"storageClass": map[string]any{
			"create":            true,
			"storagePolicyName": "vSAN Default Storage Policy",
		},
	},
	"ks-core": {
		"global":         map[string]any{"imageRegistry": "registry.example.test:5000"},
		"multicluster":   map[string]any{"role": "host", "hostClusterName": "cw-host"},
		"authentication": map[string]any{"adminPassword": "Adm1n-S3cret"},
	},
}

func TestChartVersions(t *testing.T) {
	got := chartrepo.ChartVersions()
	if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, charts.Names()) {
		t.Errorf("ChartVersions names %v, charts.Names() %v", names, charts.Names())
	}
	for name, want := range wantCharts {
		wantVersions := []string{want.version}
		if name == "vsphere-cpi" {
			wantVersions = wantCPIVersions
		}
		if !slices.Equal(got[name], wantVersions) {
			t.Errorf("ChartVersions()[%q] = %q, want %q", name, got[name], wantVersions)
		}
		ch, err := charts.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Metadata.Name != name || ch.Metadata.Version != want.version || ch.Metadata.AppVersion != want.appVersion {
			t.Errorf("chart %s: name %q version %q appVersion %q, want %s (%s)", name, ch.Metadata.Name, ch.Metadata.Version, ch.Metadata.AppVersion, want.version, want.appVersion)
		}
	}
	if len(got) != len(wantCharts) {
		t.Errorf("ChartVersions() = %v, want the charts %v", got, slices.Sorted(maps.Keys(wantCharts)))
	}
	// One CPI version per supported Kubernetes minor, from the one list.
	var minors []string
	for _, v := range domain.KubernetesVersions().Versions {
		minors = append(minors, "1."+strings.Split(v, ".")[1]+".0")
	}
	if !slices.Equal(minors, wantCPIVersions) {
		t.Errorf("supported Kubernetes versions %v, want CPI charts %v", domain.KubernetesVersions().Versions, wantCPIVersions)
	}
}

// checkCPIVersions checks that an index lists every CPI version with its
// appVersion, a digest and one URL, and returns the URLs by version.
func checkCPIVersions(t *testing.T, idx *repo.IndexFile) map[string]string {
	t.Helper()
	var listed []string
	for _, cv := range idx.Entries["vsphere-cpi"] {
		listed = append(listed, cv.Version)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, wantCPIVersions) {
		t.Errorf("index lists vsphere-cpi %v, want %v", listed, wantCPIVersions)
	}
	urls := map[string]string{}
	for _, v := range wantCPIVersions {
		cv, err := idx.Get("vsphere-cpi", v)
		if err != nil {
			t.Errorf("index: %v", err)
			continue
		}
		if cv.AppVersion != "v"+v || cv.Digest == "" || len(cv.URLs) != 1 {
			t.Errorf("index entry vsphere-cpi %s: appVersion %s digest %q urls %v", v, cv.AppVersion, cv.Digest, cv.URLs)
			continue
		}
		urls[v] = cv.URLs[0]
	}
	if newest, err := idx.Get("vsphere-cpi", ""); err != nil || newest.Version != wantCPIVersions[len(wantCPIVersions)-1] {
		t.Errorf("newest vsphere-cpi in the index: %v, %v", newest, err)
	}
	return urls
}

// checkCPIChart checks a CPI chart read back from a package: its version,
// appVersion and the image tag it renders, and the rest like the source's.
func checkCPIChart(t *testing.T, ch *chart.Chart, version string) {
	t.Helper()
	if ch.Metadata.Version != version || ch.AppVersion() != "v"+version {
		t.Errorf("vsphere-cpi %s: got version %s appVersion %s", version, ch.Metadata.Version, ch.AppVersion())
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly = true, true
	install.ReleaseName, install.Namespace = "vsphere-cpi", "kube-system"
	rel, err := install.Run(ch, nil)
	if err != nil {
		t.Fatalf("render vsphere-cpi %s: %v", version, err)
	}
	if image := "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v" + version; !strings.Contains(rel.Manifest, "image: "+image) {
		t.Errorf("vsphere-cpi %s does not run image %s", version, image)
	}
	want, err := charts.Load("vsphere-cpi")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Templates) != len(want.Templates) || ch.Metadata.Description != want.Metadata.Description {
		t.Errorf("vsphere-cpi %s: %d templates, want %d like the source", version, len(ch.Templates), len(want.Templates))
	}
}

// TestLint lints every packaged chart with the Helm SDK, with the default
// values and with every optional part turned on.
func TestLint(t *testing.T) {
	dir := t.TempDir()
	if err := chartrepo.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range wantCharts {
		archive := filepath.Join(dir, name+"-"+want.version+".tgz")
		for _, vals := range []map[string]any{nil, fullValues[name]} {
			lint := action.NewLint()
			lint.Namespace = want.namespace
			lint.Strict = true
			result := lint.Run([]string{archive}, vals)
			for _, msg := range result.Messages {
				t.Logf("%s: %s", name, msg)
			}
			if result.TotalChartsLinted != 1 || len(result.Errors) > 0 {
				t.Errorf("lint %s (values %v): %d linted, errors %v", name, vals != nil, result.TotalChartsLinted, result.Errors)
			}
		}
	}
}

// TestWriteDir checks the local-directory chart source: the archives and an
// index with relative URLs and digests that Helm's loader accepts.
func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	if err := chartrepo.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	idx, err := repo.LoadIndexFile(filepath.Join(dir, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range wantCharts {
		cv, err := idx.Get(name, want.version)
		if err != nil {
			t.Fatalf("index: %v", err)
		}
		file := name + "-" + want.version + ".tgz"
		if !slices.Equal(cv.URLs, []string{file}) || cv.Digest == "" {
			t.Errorf("index entry %s: urls %v digest %q, want [%s] and a digest", name, cv.URLs, cv.Digest, file)
		}
		ch, err := loader.Load(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		checkChart(t, ch, name)
	}
	for v, url := range checkCPIVersions(t, idx) {
		if file := "vsphere-cpi-" + v + ".tgz"; url != file {
			t.Errorf("index entry vsphere-cpi %s: url %s, want %s", v, url, file)
		}
		ch, err := loader.Load(filepath.Join(dir, "vsphere-cpi-"+v+".tgz"))
		if err != nil {
			t.Fatal(err)
		}
		checkCPIChart(t, ch, v)
	}
}

// TestRepository fetches the index and every chart from the HTTP repository
// the way a Helm client does.
func TestRepository(t *testing.T) {
	settings := helmSettings(t)
	r, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	if !strings.HasPrefix(r.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want http://127.0.0.1:<port>", r.URL())
	}

	cr, err := repo.NewChartRepository(&repo.Entry{Name: "clusterwright-sim", URL: r.URL()}, getter.All(settings))
	if err != nil {
		t.Fatal(err)
	}
	cr.CachePath = settings.RepositoryCache
	indexPath, err := cr.DownloadIndexFile()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := repo.LoadIndexFile(indexPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range wantCharts {
		cv, err := idx.Get(name, want.version)
		if err != nil {
			t.Fatalf("index: %v", err)
		}
		if cv.Version != want.version || cv.AppVersion != want.appVersion || cv.Digest == "" {
			t.Errorf("index entry %s: version %s appVersion %s digest %q", name, cv.Version, cv.AppVersion, cv.Digest)
		}
		ch := locateChart(t, settings, r.URL(), name, want.version)
		checkChart(t, ch, name)
	}
	for v, url := range checkCPIVersions(t, idx) {
		if want := r.URL() + "/vsphere-cpi-" + v + ".tgz"; url != want {
			t.Errorf("index entry vsphere-cpi %s: url %s, want %s", v, url, want)
		}
		checkCPIChart(t, locateChart(t, settings, r.URL(), "vsphere-cpi", v), v)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// helmSettings are Helm client settings whose caches and configuration live
// in a temporary directory, as are client-go's discovery caches.
func helmSettings(t *testing.T) *cli.EnvSettings {
	t.Helper()
	home := t.TempDir()
	for env, sub := range map[string]string{
		"HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data", "KUBECACHEDIR": "kubecache",
	} {
		t.Setenv(env, filepath.Join(home, sub))
	}
	settings := cli.New()
	if err := os.MkdirAll(settings.RepositoryCache, 0o755); err != nil {
		t.Fatal(err)
	}
	return settings
}

// locateChart downloads a chart by name and version from a repository URL,
// like `helm install --repo URL NAME --version V`, and loads it.
func locateChart(t *testing.T, settings *cli.EnvSettings, repoURL, name, version string) *chart.Chart {
	t.Helper()
	opts := action.ChartPathOptions{RepoURL: repoURL, Version: version}
	path, err := opts.LocateChart(name, settings)
	if err != nil {
		t.Fatalf("locate %s %s in %s: %v", name, version, repoURL, err)
	}
	ch, err := loader.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// checkChart compares a chart read back from a package with the embedded one.
func checkChart(t *testing.T, ch *chart.Chart, name string) {
	t.Helper()
	want, err := charts.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != name || ch.Metadata.Version != want.Metadata.Version || ch.AppVersion() != want.AppVersion() {
		t.Errorf("chart %s: got %s %s (%s), want %s (%s)", name, ch.Name(), ch.Metadata.Version, ch.AppVersion(), want.Metadata.Version, want.AppVersion())
	}
	if len(ch.Templates) != len(want.Templates) || len(ch.CRDObjects()) != len(want.CRDObjects()) {
		t.Errorf("chart %s: %d templates and %d CRDs, want %d and %d", name,
			len(ch.Templates), len(ch.CRDObjects()), len(want.Templates), len(want.CRDObjects()))
	}
}

// render renders a chart client-side, like `helm template`, and returns
// the objects by "Kind/name", and the notes.
func render(t *testing.T, name, namespace string, vals map[string]any) (map[string]map[string]any, string, error) {
	t.Helper()
	ch, err := charts.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly = true, true
	install.ReleaseName, install.Namespace = name, namespace
	rel, err := install.Run(ch, vals)
	if err != nil {
		return nil, "", err
	}
	objs := map[string]map[string]any{}
	for _, doc := range strings.Split(rel.Manifest, "\n---\n") {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		decodeYAML(t, doc, &obj)
		var full map[string]any
		decodeYAML(t, doc, &full)
		objs[obj.Kind+"/"+obj.Metadata.Name] = full
	}
	return objs, rel.Info.Notes, nil
}

// decodeYAML decodes a YAML document into v.
func decodeYAML(t *testing.T, doc string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(doc), v); err != nil {
		t.Fatalf("decode %q: %v", doc, err)
	}
}

// stringData returns the decoded data of a Secret, or the data of a ConfigMap.
func stringData(t *testing.T, obj map[string]any) map[string]string {
	t.Helper()
	if obj == nil {
		t.Fatal("object not rendered")
	}
	out := map[string]string{}
	for k, v := range obj["data"].(map[string]any) {
		s := v.(string)
		if obj["kind"] == "Secret" {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				t.Fatalf("secret key %s: %v", k, err)
			}
			s = string(b)
		}
		out[k] = s
	}
	return out
}
