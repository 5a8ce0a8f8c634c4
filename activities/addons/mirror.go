package addons

import (
	"errors"
	"net/url"
	"strings"
)

// MirroredSources returns DefaultSources with every chart taken from one
// mirror: an HTTP(S) chart repository URL, an oci:// registry path, or a
// local directory (air-gapped sites). Chart names and pinned versions stay
// the upstream ones, and the CPI chart still follows the cluster's
// Kubernetes minor, so the mirror must carry vsphere-cpi 1.<minor>.0 for
// every supported Kubernetes minor. An empty location returns
// DefaultSources.
func MirroredSources(location string) (Sources, error) {
	s := DefaultSources()
	if location == "" {
		return s, nil
	}
	if strings.Contains(location, "://") && !strings.HasPrefix(location, "oci://") {
		u, err := url.Parse(location)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return Sources{}, errors.New("chart mirror: want an http(s) repository URL, an oci:// path or a directory")
		}
	}
	for _, src := range []*Source{&s.Antrea, &s.CPI, &s.CSI, &s.KubeSphere} {
		*src = Source{Chart: src.Chart, Version: src.Version, FollowKubernetesMinor: src.FollowKubernetesMinor}
		switch {
		case strings.HasPrefix(location, "oci://"):
			src.OCI = location
		case strings.Contains(location, "://"):
			src.RepoURL = location
		default:
			src.Dir = location
		}
	}
	return s, s.Validate()
}
