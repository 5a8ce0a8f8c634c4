package addons

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/repo"
)

// fromDir loads a chart from a local directory (the air-gapped source).
// With an index.yaml the chart version is chosen from the index and its
// archive's digest checked; without one the directory is searched for
// <chart>-<version>.tgz archives and an unpacked <chart>/ directory.
func fromDir(src Source) (*chart.Chart, error) {
	indexPath := filepath.Join(src.Dir, "index.yaml")
	if _, err := os.Stat(indexPath); err == nil {
		return fromIndexedDir(src, indexPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return fromPlainDir(src)
}

// fromIndexedDir loads the chart version the directory's index names.
func fromIndexedDir(src Source, indexPath string) (*chart.Chart, error) {
	idx, err := repo.LoadIndexFile(indexPath)
	if err != nil {
		return nil, fmt.Errorf("%w: unreadable %s: %w", ErrChartNotFound, indexPath, err)
	}
	cv, err := idx.Get(src.Chart, src.Version)
	if err != nil || len(cv.URLs) == 0 {
		return nil, fmt.Errorf("%w: %s lists no chart %s version %q", ErrChartNotFound, indexPath, src.Chart, src.Version)
	}
	file, err := localChartFile(src.Dir, cv.URLs[0])
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is listed in the index but missing", ErrChartNotFound, file)
	} else if err != nil {
		return nil, err
	}
	return loadArchive(data, cv.Digest)
}

// localChartFile maps a chart URL of a directory's index to a file in the
// directory: relative URLs (`helm repo index` without --url) below the
// directory, absolute ones (an index written for a web server) by their
// file name.
func localChartFile(dir, chartURL string) (string, error) {
	u, err := url.Parse(chartURL)
	if err != nil {
		return "", fmt.Errorf("%w: chart URL %q: %w", ErrChartNotFound, chartURL, err)
	}
	rel := u.Path
	if u.Scheme != "" || u.Host != "" {
		rel = path.Base(u.Path)
	}
	rel = filepath.FromSlash(strings.TrimPrefix(rel, "./"))
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%w: chart URL %q points outside the directory", ErrChartNotFound, chartURL)
	}
	return filepath.Join(dir, rel), nil
}

// fromPlainDir finds the newest matching version among <chart>-<version>.tgz
// archives and an unpacked <chart>/ directory.
func fromPlainDir(src Source) (*chart.Chart, error) {
	type candidate struct {
		path    string
		version *semver.Version
	}
	var found []candidate
	archives, err := filepath.Glob(filepath.Join(src.Dir, src.Chart+"-*.tgz"))
	if err != nil {
		return nil, err
	}
	for _, a := range archives {
		v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(a), src.Chart+"-"), ".tgz")
		if sv, err := semver.NewVersion(v); err == nil && versionMatches(sv.Original(), src.Version) {
			found = append(found, candidate{a, sv})
		}
	}
	unpacked := filepath.Join(src.Dir, src.Chart)
	if _, err := os.Stat(filepath.Join(unpacked, "Chart.yaml")); err == nil {
		ch, err := loader.LoadDir(unpacked)
		if err != nil {
			return nil, withClass(err, ErrInvalidChart)
		}
		if sv, err := semver.NewVersion(ch.Metadata.Version); err == nil && versionMatches(ch.Metadata.Version, src.Version) {
			found = append(found, candidate{unpacked, sv})
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: directory %s has no chart %s version %q", ErrChartNotFound, src.Dir, src.Chart, src.Version)
	}
	best := slices.MaxFunc(found, func(a, b candidate) int { return a.version.Compare(b.version) })
	ch, err := loader.Load(best.path)
	if err != nil {
		return nil, withClass(err, ErrInvalidChart)
	}
	return ch, nil
}
