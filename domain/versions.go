package domain

import "slices"

// supportedVersions are the Kubernetes versions Clusterwright installs, oldest first:
// the one table the API, preflight and upgrades read. The simulated datacenter builds
// control planes for exactly these (KUBE_VERSIONS in the Makefile).
var supportedVersions = []string{"v1.34.2", "v1.35.1"}

// defaultVersion is used when a cluster spec names none.
const defaultVersion = "v1.34.2"

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
