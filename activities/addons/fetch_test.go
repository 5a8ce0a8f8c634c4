package addons

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/sim/chartrepo"
)

// TestFetch loads the simulator's charts from each kind of source the
// installer supports without a registry: the HTTP repository, a directory
// with an index, and plain directories.
func TestFetch(t *testing.T) {
	repo, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	dir := t.TempDir()
	if err := chartrepo.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	f := fetcher{dir: t.TempDir()}

	for _, tt := range []struct {
		name        string
		src         Source
		wantVersion string
	}{
		{"repo pinned", Source{RepoURL: repo.URL(), Chart: "antrea", Version: "2.7.0"}, "2.7.0"},
		{"repo newest", Source{RepoURL: repo.URL() + "/", Chart: "vsphere-csi"}, "3.7.1"},
		{"repo constraint", Source{RepoURL: repo.URL(), Chart: "ks-core", Version: "~1.1"}, "1.1.4"},
		{"indexed dir", Source{Dir: dir, Chart: "vsphere-cpi", Version: "1.35.0"}, "1.35.0"},
		{"unpacked dir", Source{Dir: "testdata", Chart: "waitdemo"}, "0.1.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := f.fetch(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if ch.Name() != tt.src.Chart || ch.Metadata.Version != tt.wantVersion {
				t.Errorf("fetched %s %s, want %s %s", ch.Name(), ch.Metadata.Version, tt.src.Chart, tt.wantVersion)
			}
		})
	}

	// Archives without an index.
	plain := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "antrea-2.7.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plain, "antrea-2.7.0.tgz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if ch, err := f.fetch(Source{Dir: plain, Chart: "antrea"}); err != nil || ch.Metadata.Version != "2.7.0" {
		t.Errorf("plain directory: %v", err)
	}

	// The fetcher leaves no index behind.
	left, _ := filepath.Glob(filepath.Join(f.dir, "index-*"))
	if len(left) > 0 {
		t.Errorf("index directories left behind: %v", left)
	}
}

// TestFetchErrors classifies what goes wrong with chart sources.
func TestFetchErrors(t *testing.T) {
	repo, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	dir := t.TempDir()
	if err := chartrepo.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	// A directory whose index promises an archive that differs from it.
	tampered := t.TempDir()
	if err := chartrepo.WriteDir(tampered); err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join(tampered, "vsphere-cpi-1.35.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tampered, "antrea-2.7.0.tgz"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	closed, err := chartrepo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := closed.URL()
	_ = closed.Close()

	f := fetcher{dir: t.TempDir()}
	for _, tt := range []struct {
		name string
		src  Source
		want error
	}{
		{"no such chart in repo", Source{RepoURL: repo.URL(), Chart: "calico"}, ErrChartNotFound},
		{"no such version in repo", Source{RepoURL: repo.URL(), Chart: "antrea", Version: "9.9.9"}, ErrChartNotFound},
		{"no repository at URL", Source{RepoURL: repo.URL() + "/nothing-here", Chart: "antrea"}, ErrChartNotFound},
		{"repository down", Source{RepoURL: closedURL, Chart: "antrea"}, ErrSourceUnreachable},
		{"no such chart in dir", Source{Dir: dir, Chart: "calico"}, ErrChartNotFound},
		{"no such version in dir", Source{Dir: dir, Chart: "antrea", Version: "1.0.0"}, ErrChartNotFound},
		{"empty dir", Source{Dir: t.TempDir(), Chart: "antrea"}, ErrChartNotFound},
		{"digest mismatch", Source{Dir: tampered, Chart: "antrea"}, ErrInvalidChart},
		{"no location", Source{Chart: "antrea"}, ErrSourceNotConfigured},
		{"two locations", Source{RepoURL: repo.URL(), Dir: dir, Chart: "antrea"}, ErrSourceNotConfigured},
		{"not http", Source{RepoURL: "ftp://example.test/charts", Chart: "antrea"}, ErrSourceNotConfigured},
		{"credentials in URL", Source{RepoURL: "https://user:pw@example.test/charts", Chart: "antrea"}, ErrSourceNotConfigured},
		{"not oci", Source{OCI: "registry.example.test/charts", Chart: "antrea"}, ErrSourceNotConfigured},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.fetch(tt.src)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want class %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error shows the URL's credentials: %v", err)
			}
		})
	}
}

// TestKubeSphereSourceRequired: KubeSphere has no public source to default to.
func TestKubeSphereSourceRequired(t *testing.T) {
	err := DefaultSources().KubeSphere.Validate()
	if !errors.Is(err, ErrSourceNotConfigured) || !strings.Contains(err.Error(),
		"kubesphere chart source must be configured (KubeSphere downloads are suspended; mirror ks-core)") {
		t.Errorf("default KubeSphere source: %v", err)
	}
	if err := DefaultSources().Validate(); !errors.Is(err, ErrSourceNotConfigured) {
		t.Errorf("DefaultSources().Validate() = %v, want the KubeSphere error", err)
	}
	s := DefaultSources()
	s.KubeSphere.Dir = "/srv/charts"
	if err := s.Validate(); err != nil {
		t.Errorf("configured sources: %v", err)
	}
	// Pinned, once chosen for a cluster (CPI follows its Kubernetes minor).
	for _, src := range []Source{s.Antrea, s.CPI, s.CSI} {
		src, err := src.ForKubernetes("v1.37.2")
		if err != nil || !strings.HasPrefix(src.RepoURL, "https://") || !isExactVersion(src.Version) {
			t.Errorf("default source %s is not a pinned HTTPS repository (%v)", src, err)
		}
	}
}
