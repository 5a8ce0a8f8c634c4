package addons

import (
	"fmt"
	"net/url"
	"os"
	"regexp"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/repo"
)

// httpGetters are the Helm getters for chart repositories: plain HTTP(S),
// without the plugins a Helm client would load from its configuration.
var httpGetters = getter.Providers{{Schemes: []string{"http", "https"}, New: getter.NewHTTPGetter}}

// fromRepo downloads the repository's index, finds the chart version in it
// and downloads that archive, like `helm install --repo URL CHART --version V`.
//
// It does not use action.ChartPathOptions.LocateChart: that resolves a name
// that exists as a file in the working directory to the file, and writes
// the index into the Helm client's global cache. The index goes to a
// directory of this call's own instead, which is removed afterwards, so that
// concurrent calls never read each other's half-written index.
func (f fetcher) fromRepo(src Source) (*chart.Chart, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(f.dir, "index-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	cr, err := repo.NewChartRepository(&repo.Entry{Name: "repo", URL: src.RepoURL, CAFile: src.CAFile}, httpGetters)
	if err != nil {
		return nil, withClass(err, ErrSourceNotConfigured)
	}
	cr.CachePath = tmp
	indexFile, err := cr.DownloadIndexFile()
	if err != nil {
		return nil, classifyFetch(fmt.Errorf("download index of repository %s: %w", src.RepoURL, err))
	}
	idx, err := repo.LoadIndexFile(indexFile)
	if err != nil {
		return nil, fmt.Errorf("%w: repository %s serves an unreadable index: %w", ErrChartNotFound, src.RepoURL, err)
	}
	cv, err := idx.Get(src.Chart, src.Version)
	if err != nil {
		return nil, fmt.Errorf("%w: repository %s has no chart %s version %q", ErrChartNotFound, src.RepoURL, src.Chart, src.Version)
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("%w: repository %s lists chart %s %s without a URL", ErrChartNotFound, src.RepoURL, src.Chart, cv.Version)
	}
	chartURL, err := repo.ResolveReferenceURL(src.RepoURL, cv.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("%w: chart URL %q: %w", ErrChartNotFound, cv.URLs[0], err)
	}
	data, err := download(chartURL, src)
	if err != nil {
		return nil, classifyFetch(fmt.Errorf("download %s: %w", chartURL, err))
	}
	return loadArchive(data, cv.Digest)
}

// download fetches one file with a getter of its own (Helm's getters keep
// per-request options in themselves).
func download(rawURL string, src Source) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	g, err := httpGetters.ByScheme(u.Scheme)
	if err != nil {
		return nil, err
	}
	buf, err := g.Get(rawURL,
		getter.WithURL(src.RepoURL),
		getter.WithTLSClientConfig("", "", src.CAFile),
		getter.WithTimeout(fetchTimeout),
	)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// httpStatus finds the status in the error of a Helm HTTP getter
// ("failed to fetch URL : 404 Not Found").
var httpStatus = regexp.MustCompile(`failed to fetch \S+ : (\d{3})`)

// classifyFetch classifies a download failure: a client error status means
// the chart is not there (or not for us), which retrying cannot change; a
// server error or no answer means the source is unreachable for now.
func classifyFetch(err error) error {
	if m := httpStatus.FindStringSubmatch(err.Error()); m != nil {
		switch code := m[1]; {
		case code == "408" || code == "429" || code[0] == '5':
			return withClass(err, ErrSourceUnreachable)
		case code[0] == '4':
			return withClass(err, ErrChartNotFound)
		}
	}
	if isUnreachable(err) {
		return withClass(err, ErrSourceUnreachable)
	}
	return err
}
