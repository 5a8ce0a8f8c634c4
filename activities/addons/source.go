package addons

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Source says where a chart comes from. Exactly one of RepoURL, OCI and Dir
// is set.
type Source struct {
	// RepoURL is an HTTP(S) chart repository (the URL `helm repo add` takes).
	RepoURL string `json:"repo_url,omitempty"`
	// OCI is an OCI registry path, like oci://registry.example.com/charts;
	// the chart is pulled from <OCI>/<Chart>:<Version>.
	OCI string `json:"oci,omitempty"`
	// Dir is a local directory, for air-gapped sites: packaged charts with an
	// index.yaml (what `helm repo index` or sim/chartrepo.WriteDir writes),
	// or packaged charts (<chart>-<version>.tgz) or unpacked chart
	// directories (<chart>/Chart.yaml) without one.
	Dir string `json:"dir,omitempty"`
	// Chart is the chart's name.
	Chart string `json:"chart"`
	// Version is the chart version or a semver constraint; empty means the
	// newest, or, with FollowKubernetesMinor, the one of the cluster's
	// Kubernetes minor. Pin it: an exact version lets Apply recognise an
	// up-to-date release without contacting the source.
	Version string `json:"version,omitempty"`
	// FollowKubernetesMinor, when Version is empty, takes the chart version
	// 1.<minor>.0 of the cluster's Kubernetes version (v1.36.5: 1.36.0), for
	// charts released once per Kubernetes minor, like the vSphere cloud
	// provider's. Activities resolve it from the cluster's spec (see
	// ForKubernetes), so a cluster upgraded to the next minor gets its
	// chart upgraded too. An explicit Version takes precedence.
	FollowKubernetesMinor bool `json:"follow_kubernetes_minor,omitempty"`
	// CAFile, optional, is a PEM bundle trusted for an HTTPS repository or
	// registry served with a private CA (a mirror).
	CAFile string `json:"ca_file,omitempty"`
	// PlainHTTP makes the OCI client use HTTP instead of HTTPS (a local
	// registry).
	PlainHTTP bool `json:"plain_http,omitempty"`
}

// Sources are the chart sources of the platform add-ons.
type Sources struct {
	Antrea     Source `json:"antrea"`
	CPI        Source `json:"cpi"`
	CSI        Source `json:"csi"`
	KubeSphere Source `json:"kubesphere"`
}

// Chart versions that DefaultSources pins. The vSphere CPI chart has no
// pinned version: it follows the cluster's Kubernetes minor (see
// KubernetesMinorChartVersion).
const (
	AntreaChartVersion     = "2.7.0"
	CSIChartVersion        = "3.7.1"
	KubeSphereChartVersion = "1.1.4"
)

// DefaultSources are the public upstream chart repositories. KubeSphere has
// none: its open-source downloads are suspended (kubesphere#6550), so ks-core
// must be mirrored and its source configured (RepoURL, OCI or Dir); until
// then installing it fails with ErrSourceNotConfigured.
//
// The vSphere cloud provider is released once per Kubernetes minor
// (cloud-provider-vsphere v1.36.x for Kubernetes 1.36, chart vsphere-cpi
// 1.36.x), so its source follows the cluster's Kubernetes minor instead of
// pinning one version.
func DefaultSources() Sources {
	return Sources{
		Antrea: Source{RepoURL: "https://charts.antrea.io", Chart: "antrea", Version: AntreaChartVersion},
		CPI:    Source{RepoURL: "https://kubernetes.github.io/cloud-provider-vsphere", Chart: "vsphere-cpi", FollowKubernetesMinor: true},
		// The vSphere CSI chart is community-maintained (vsphere-tmm), not
		// published by VMware.
		CSI:        Source{RepoURL: "https://vsphere-tmm.github.io/helm-charts", Chart: "vsphere-csi", Version: CSIChartVersion},
		KubeSphere: Source{Chart: "ks-core", Version: KubeSphereChartVersion},
	}
}

// Validate reports every source that cannot be used, e.g. at worker start.
func (s Sources) Validate() error {
	var errs []error
	for _, src := range []Source{s.Antrea, s.CPI, s.CSI, s.KubeSphere} {
		if err := src.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Validate checks that the source names a chart and exactly one usable
// location. Its errors wrap ErrSourceNotConfigured.
func (s Source) Validate() error {
	if s.Chart == "" {
		return fmt.Errorf("%w: chart name is required", ErrSourceNotConfigured)
	}
	n := 0
	for _, loc := range []string{s.RepoURL, s.OCI, s.Dir} {
		if loc != "" {
			n++
		}
	}
	switch {
	case n == 0 && s.Chart == "ks-core":
		return fmt.Errorf("%w: kubesphere chart source must be configured (KubeSphere downloads are suspended; mirror ks-core)", ErrSourceNotConfigured)
	case n == 0:
		return fmt.Errorf("%w: chart %s: set one of RepoURL, OCI or Dir", ErrSourceNotConfigured, s.Chart)
	case n > 1:
		return fmt.Errorf("%w: chart %s: set only one of RepoURL, OCI and Dir", ErrSourceNotConfigured, s.Chart)
	}
	if s.RepoURL != "" {
		u, err := url.Parse(s.RepoURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: chart %s: RepoURL is not an http(s) URL", ErrSourceNotConfigured, s.Chart)
		}
		if u.User != nil {
			// The URL is logged and recorded; credentials must not be in it.
			return fmt.Errorf("%w: chart %s: RepoURL must not carry credentials", ErrSourceNotConfigured, s.Chart)
		}
	}
	if s.OCI != "" && (!strings.HasPrefix(s.OCI, "oci://") || len(s.OCI) == len("oci://")) {
		return fmt.Errorf("%w: chart %s: OCI %q is not an oci:// reference", ErrSourceNotConfigured, s.Chart, s.OCI)
	}
	return nil
}

// String describes the source for logs and errors, like
// "antrea 2.7.0 from https://charts.antrea.io".
func (s Source) String() string {
	loc := s.RepoURL + s.OCI + s.Dir
	v := s.Version
	switch {
	case v == "" && s.FollowKubernetesMinor:
		v = "(of the Kubernetes minor)"
	case v == "":
		v = "(newest)"
	}
	return s.Chart + " " + v + " from " + loc
}
