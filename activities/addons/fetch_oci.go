package addons

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/registry"
)

// fromOCI pulls <OCI>/<Chart>:<Version> with Helm's registry client. A
// version that is empty or a constraint is resolved against the
// repository's tags, the newest match winning, as `helm pull` does.
func (f fetcher) fromOCI(src Source) (*chart.Chart, error) {
	client, err := f.registryClient(src)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSuffix(strings.TrimPrefix(src.OCI, "oci://"), "/") + "/" + src.Chart
	tag := src.Version
	if !isExactVersion(tag) {
		tags, err := client.Tags(ref)
		if err != nil {
			return nil, classifyOCI(fmt.Errorf("list tags of %s: %w", ref, err))
		}
		if tag, err = registry.GetTagMatchingVersionOrConstraint(tags, src.Version); err != nil {
			return nil, fmt.Errorf("%w: %s has no tag matching %q", ErrChartNotFound, ref, src.Version)
		}
	}
	res, err := client.Pull(ref+":"+tag, registry.PullOptWithChart(true))
	if err != nil {
		return nil, classifyOCI(fmt.Errorf("pull %s:%s: %w", ref, tag, err))
	}
	return loadArchive(res.Chart.Data, "")
}

// registryClient is a Helm registry client whose credentials file is the
// fetcher's own (empty unless an operator logs in with it), not the Helm
// client's global one.
func (f fetcher) registryClient(src Source) (*registry.Client, error) {
	dir := filepath.Join(f.dir, "registry")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	opts := []registry.ClientOption{
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(dir, "config.json")),
	}
	if src.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if src.CAFile != "" {
		pem, err := os.ReadFile(src.CAFile)
		if err != nil {
			return nil, withClass(fmt.Errorf("read CA file: %w", err), ErrSourceNotConfigured)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrSourceNotConfigured, src.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, registry.ClientOptHTTPClient(&http.Client{Transport: transport, Timeout: fetchTimeout}))
	client, err := registry.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	return client, nil
}

// classifyOCI classifies a registry failure: a missing repository, tag or
// access means the chart cannot be found; no answer means the registry is
// unreachable for now.
func classifyOCI(err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "not found"), strings.Contains(msg, "404"),
		strings.Contains(msg, "unauthorized"), strings.Contains(msg, "denied"):
		return withClass(err, ErrChartNotFound)
	case isUnreachable(err):
		return withClass(err, ErrSourceUnreachable)
	}
	return err
}
