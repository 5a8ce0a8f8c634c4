package chartrepo

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/clusterwright/clusterwright/domain"
)

// PerKubernetesMinorAnnotation, set to "true" in a chart's Chart.yaml,
// makes the repository serve the chart once per supported Kubernetes minor
// (domain.KubernetesVersions), as version 1.<minor>.0 with appVersion
// v1.<minor>.0, the way upstream releases the vSphere cloud provider.
// Every version is made from the one chart source; the version in its
// Chart.yaml is not served unless it is one of them.
const PerKubernetesMinorAnnotation = "clusterwright.io/version-per-kubernetes-minor"

// versions returns the charts the repository serves for the chart source
// ch: ch itself, or, with PerKubernetesMinorAnnotation, one copy per
// supported Kubernetes minor with its version and appVersion set, oldest
// first.
func versions(ch *chart.Chart) ([]*chart.Chart, error) {
	if ch.Metadata.Annotations[PerKubernetesMinorAnnotation] != "true" {
		return []*chart.Chart{ch}, nil
	}
	var out []*chart.Chart
	for _, kv := range domain.KubernetesVersions().Versions {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(kv, "v"))
		if err != nil {
			return nil, fmt.Errorf("chartrepo: chart %s: Kubernetes version %q: %w", ch.Name(), kv, err)
		}
		out = append(out, withVersion(ch, fmt.Sprintf("%d.%d.0", v.Major(), v.Minor())))
	}
	return out, nil
}

// withVersion returns a copy of ch whose version is version and whose
// appVersion is "v" + version; ch is not changed.
func withVersion(ch *chart.Chart, version string) *chart.Chart {
	c := *ch
	md := *ch.Metadata
	md.Version, md.AppVersion = version, "v"+version
	c.Metadata = &md
	return &c
}
