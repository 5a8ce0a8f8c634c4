package addons

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/clusterwright/clusterwright/domain"
)

// ForKubernetes returns the source with its chart version chosen for a
// cluster at Kubernetes version kubernetesVersion (like "v1.36.5"): with
// FollowKubernetesMinor and no Version, the version is
// KubernetesMinorChartVersion of it; any other source is returned as it is.
// An empty kubernetesVersion means the default one, as in a spec with its
// defaults filled in. A version that cannot be parsed is an error wrapping
// ErrInvalidRelease.
func (s Source) ForKubernetes(kubernetesVersion string) (Source, error) {
	if !s.FollowKubernetesMinor || s.Version != "" {
		return s, nil
	}
	if kubernetesVersion == "" {
		kubernetesVersion = domain.KubernetesVersions().Default
	}
	v, err := KubernetesMinorChartVersion(kubernetesVersion)
	if err != nil {
		return Source{}, fmt.Errorf("chart %s: %w", s.Chart, err)
	}
	s.Version = v
	return s, nil
}

// KubernetesMinorChartVersion is the version of a chart released once per
// Kubernetes minor, like the vSphere cloud provider's, for Kubernetes
// version kubernetesVersion: "1.<minor>.0" (v1.37.2: 1.37.0). Its errors
// wrap ErrInvalidRelease.
func KubernetesMinorChartVersion(kubernetesVersion string) (string, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(kubernetesVersion, "v"))
	if err != nil || v.Major() != 1 {
		return "", fmt.Errorf("%w: Kubernetes version %q is not v1.<minor>.<patch>", ErrInvalidRelease, kubernetesVersion)
	}
	return fmt.Sprintf("1.%d.0", v.Minor()), nil
}
