// Package chartrepo packages the simulator's charts (package
// github.com/clusterwright/clusterwright/sim/charts) with the Helm SDK and
// offers them the two ways Clusterwright reads charts: as an HTTP chart
// repository (Start) and as a local directory of packaged charts with an
// index.yaml, the air-gapped source (WriteDir).
package chartrepo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/sim/charts"
)

// pkg is one packaged chart.
type pkg struct {
	meta     *chart.Metadata
	filename string    // like antrea-2.7.0.tgz
	data     []byte    // the .tgz
	digest   string    // sha256, hex
	modTime  time.Time // when it was packaged
}

// packaged is every embedded chart, in each of its versions, packaged once
// per process so that the archives and their digests stay the same for all
// repositories and directories made from them.
var packaged = sync.OnceValues(packageAll)

// packageAll loads each embedded chart and packages each of its versions
// (see versions) like `helm package`.
func packageAll() ([]pkg, error) {
	tmp, err := os.MkdirTemp("", "clusterwright-charts-")
	if err != nil {
		return nil, fmt.Errorf("chartrepo: package charts: %w", err)
	}
	defer os.RemoveAll(tmp)
	now := time.Now()
	var out []pkg
	for _, name := range charts.Names() {
		ch, err := charts.Load(name)
		if err != nil {
			return nil, fmt.Errorf("chartrepo: %w", err)
		}
		vs, err := versions(ch)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("chartrepo: chart %s %s: %w", name, v.Metadata.Version, err)
			}
			path, err := chartutil.Save(v, tmp)
			if err != nil {
				return nil, fmt.Errorf("chartrepo: package chart %s %s: %w", name, v.Metadata.Version, err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("chartrepo: package chart %s %s: %w", name, v.Metadata.Version, err)
			}
			digest, err := provenance.Digest(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("chartrepo: digest chart %s %s: %w", name, v.Metadata.Version, err)
			}
			out = append(out, pkg{meta: v.Metadata, filename: filepath.Base(path), data: data, digest: digest, modTime: now})
		}
	}
	return out, nil
}

// index builds the repository index of pkgs. With an empty baseURL the chart
// URLs are relative to the index, as `helm repo index` writes them without
// --url.
func index(pkgs []pkg, baseURL string) ([]byte, error) {
	idx := repo.NewIndexFile()
	for _, p := range pkgs {
		if err := idx.MustAdd(p.meta, p.filename, baseURL, p.digest); err != nil {
			return nil, fmt.Errorf("chartrepo: index %s: %w", p.filename, err)
		}
	}
	idx.SortEntries()
	data, err := yaml.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("chartrepo: encode index: %w", err)
	}
	return data, nil
}

// ChartVersions maps the name of each chart the repository serves to its
// versions, oldest first: like "antrea" to [2.7.0], and "vsphere-cpi" to
// one version per supported Kubernetes minor, [1.35.0 1.36.0 1.37.0].
func ChartVersions() map[string][]string {
	out := make(map[string][]string)
	for _, name := range charts.Names() {
		ch, err := charts.Load(name)
		if err != nil {
			// The charts are embedded at build time and loaded by the tests.
			panic(fmt.Sprintf("chartrepo: %v", err))
		}
		vs, err := versions(ch)
		if err != nil {
			panic(fmt.Sprintf("chartrepo: %v", err))
		}
		for _, v := range vs {
			out[name] = append(out[name], v.Metadata.Version)
		}
	}
	return out
}

// WriteDir writes every chart, packaged as <name>-<version>.tgz, and an
// index.yaml with relative URLs into dir, creating it if needed: a local
// chart source that needs no network, or the content of any static web
// server acting as a chart repository.
func WriteDir(dir string) error {
	pkgs, err := packaged()
	if err != nil {
		return err
	}
	idx, err := index(pkgs, "")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("chartrepo: %w", err)
	}
	for _, p := range pkgs {
		if err := os.WriteFile(filepath.Join(dir, p.filename), p.data, 0o644); err != nil {
			return fmt.Errorf("chartrepo: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "index.yaml"), idx, 0o644); err != nil {
		return fmt.Errorf("chartrepo: %w", err)
	}
	return nil
}
