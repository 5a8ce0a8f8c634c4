// Package charts holds the simulator's own Helm charts. Each creates the same
// kinds and names as the upstream chart (or release YAML) it stands in for,
// so that Clusterwright's add-on code installs, upgrades and inspects them
// exactly as it would the real ones:
//
//   - antrea: Antrea CNI (kube-system), plus the Antrea Multi-cluster CRDs and,
//     behind values, the multi-cluster leader and member controllers, which
//     upstream ships as release YAML rather than as a chart.
//   - vsphere-cpi: the vSphere cloud controller manager (kube-system).
//   - vsphere-csi: the vSphere CSI driver (vmware-system-csi), the
//     VolumeSnapshot CRDs, the snapshot controller and a default StorageClass.
//   - ks-core: KubeSphere core (kubesphere-system) with the
//     cluster.kubesphere.io CRDs.
//
// The charts are written for the simulator, not copied from upstream. Their
// images never run: simulated kubelets only report Pod status. They leave
// out what only a running process could serve (APIServices, admission
// webhooks), because the API server would otherwise fail discovery or
// admission for everyone. Each chart's values.yaml documents its values.
//
// Package sim/chartrepo packages the charts and serves them as a chart
// repository.
package charts

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// FS holds the chart sources, one top-level directory per chart, named like
// the chart.
//
//go:embed all:antrea all:vsphere-cpi all:vsphere-csi all:ks-core
var FS embed.FS

// Names returns the names of the embedded charts, sorted.
func Names() []string {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		panic(fmt.Sprintf("charts: read embedded charts: %v", err)) // embedded content is fixed at build time
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// Load loads the embedded chart called name with the Helm SDK's loader.
func Load(name string) (*chart.Chart, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("charts: no chart %q (have %v)", name, Names())
	}
	var files []*loader.BufferedFile
	err := fs.WalkDir(FS, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := strings.CutPrefix(p, name+"/")
		files = append(files, &loader.BufferedFile{Name: rel, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("charts: read chart %s: %w", name, err)
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("charts: load chart %s: %w", name, err)
	}
	return ch, nil
}
