package domain

import "slices"

// supportedVersions are the Kubernetes versions Clusterwright installs, oldest first,
// one per minor: the one table the API, preflight and upgrades read. The simulated
// datacenter builds control planes for exactly these, each from its own
// k8s.io/kubernetes release (KUBE_VERSIONS in the Makefile, sim/kubebin/v1.MINOR),
// and offers one node template per version (sim.TemplateName).
var supportedVersions = []string{"v1.35.8", "v1.36.5", "v1.37.2"}

// defaultVersion is used when a cluster spec names none: the newest. A cluster
// upgrades one minor at a time, so one made at the version below it can be
// upgraded to it (KUBE_DEFAULT_VERSION in the Makefile).
const defaultVersion = "v1.37.2"

// VersionList is the GET /api/v1/kubernetes-versions reply.
type VersionList struct {
	Versions []string `json:"versions"`
	Default  string   `json:"default"`
}

// KubernetesVersions returns the supported versions and the default.
func KubernetesVersions() VersionList {
	return VersionList{Versions: slices.Clone(supportedVersions), Default: defaultVersion}
}

// SupportedVersion reports whether v is a supported Kubernetes version.
func SupportedVersion(v string) bool { return slices.Contains(supportedVersions, v) }

// PreviousVersion returns the supported version just below v (one minor older), or ""
// when v is the oldest or not supported: where a cluster starts that is to be upgraded to v.
func PreviousVersion(v string) string {
	i := slices.Index(supportedVersions, v)
	if i < 1 {
		return ""
	}
	return supportedVersions[i-1]
}
