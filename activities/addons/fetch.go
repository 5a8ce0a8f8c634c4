package addons

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/provenance"
)

// fetchTimeout bounds each download from a chart repository or registry.
const fetchTimeout = 2 * time.Minute

// fetcher loads charts from their sources with the Helm SDK. Its files (the
// downloaded repository indexes, the registry credentials file) live under
// dir, never in the Helm client's global cache or configuration.
type fetcher struct {
	dir string
}

// fetch locates and loads the chart src names.
func (f fetcher) fetch(src Source) (*chart.Chart, error) {
	if err := src.Validate(); err != nil {
		return nil, err
	}
	var (
		ch  *chart.Chart
		err error
	)
	switch {
	case src.RepoURL != "":
		ch, err = f.fromRepo(src)
	case src.OCI != "":
		ch, err = f.fromOCI(src)
	default:
		ch, err = fromDir(src)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch chart %s: %w", src, err)
	}
	if err := checkChart(ch, src); err != nil {
		return nil, fmt.Errorf("fetch chart %s: %w", src, err)
	}
	return ch, nil
}

// checkChart makes sure the chart is the one asked for and valid.
func checkChart(ch *chart.Chart, src Source) error {
	if err := ch.Validate(); err != nil {
		return withClass(err, ErrInvalidChart)
	}
	if ch.Name() != src.Chart {
		return fmt.Errorf("%w: the source delivered chart %q", ErrInvalidChart, ch.Name())
	}
	if !versionMatches(ch.Metadata.Version, src.Version) {
		return fmt.Errorf("%w: the source delivered version %s", ErrChartNotFound, ch.Metadata.Version)
	}
	return nil
}

// versionMatches reports whether version satisfies want: equal, or within
// the constraint; an empty want matches every version.
func versionMatches(version, want string) bool {
	if want == "" || version == want {
		return true
	}
	c, err := semver.NewConstraint(want)
	if err != nil {
		return false
	}
	v, err := semver.NewVersion(version)
	return err == nil && c.Check(v)
}

// isExactVersion reports whether v names one version rather than a range.
func isExactVersion(v string) bool {
	_, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
	return err == nil
}

// loadArchive loads a packaged chart, checking its sha256 digest when one
// is known (from a repository index).
func loadArchive(data []byte, digest string) (*chart.Chart, error) {
	if digest != "" {
		got, err := provenance.Digest(bytes.NewReader(data))
		if err != nil {
			return nil, withClass(err, ErrInvalidChart)
		}
		if !strings.EqualFold(got, digest) {
			return nil, fmt.Errorf("%w: archive digest sha256:%s does not match the index's %s", ErrInvalidChart, got, digest)
		}
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, withClass(err, ErrInvalidChart)
	}
	return ch, nil
}
