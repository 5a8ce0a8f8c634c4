package addons

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/registry"

	"github.com/clusterwright/clusterwright/sim/chartrepo"
)

// ociRegistry serves one chart archive the way an OCI distribution registry
// serves `helm push`ed charts (read-only: manifests, blobs, tags), over
// plain HTTP.
type ociRegistry struct {
	repo      string // like charts/antrea
	tag       string
	manifest  []byte
	blobs     map[string][]byte // by digest
	manifestD string
}

func newOCIRegistry(t *testing.T, repo, tag string, archive []byte) *httptest.Server {
	t.Helper()
	ch, err := loader.LoadArchive(strings.NewReader(string(archive)))
	if err != nil {
		t.Fatal(err)
	}
	config, err := json.Marshal(ch.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	digest := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
	r := &ociRegistry{repo: repo, tag: tag, blobs: map[string][]byte{digest(config): config, digest(archive): archive}}
	r.manifest, err = json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": registry.ConfigMediaType, "digest": digest(config), "size": len(config)},
		"layers":        []any{map[string]any{"mediaType": registry.ChartLayerMediaType, "digest": digest(archive), "size": len(archive)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.manifestD = digest(r.manifest)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func (r *ociRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	prefix := "/v2/" + r.repo + "/"
	switch p := req.URL.Path; {
	case p == "/v2/":
		w.WriteHeader(http.StatusOK)
	case p == prefix+"tags/list":
		_ = json.NewEncoder(w).Encode(map[string]any{"name": r.repo, "tags": []string{r.tag, "latest"}})
	case p == prefix+"manifests/"+r.tag || p == prefix+"manifests/"+r.manifestD:
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Docker-Content-Digest", r.manifestD)
		w.Header().Set("Content-Length", fmt.Sprint(len(r.manifest)))
		if req.Method != http.MethodHead {
			_, _ = w.Write(r.manifest)
		}
	case strings.HasPrefix(p, prefix+"blobs/"):
		b, ok := r.blobs[strings.TrimPrefix(p, prefix+"blobs/")]
		if !ok {
			ociError(w, http.StatusNotFound, "BLOB_UNKNOWN")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		if req.Method != http.MethodHead {
			_, _ = w.Write(b)
		}
	case strings.HasPrefix(p, prefix+"manifests/"):
		ociError(w, http.StatusNotFound, "MANIFEST_UNKNOWN")
	default:
		ociError(w, http.StatusNotFound, "NAME_UNKNOWN")
	}
}

func ociError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"code": code, "message": strings.ToLower(code)}}})
}

// TestFetchOCI pulls a chart from an OCI registry with Helm's registry client.
func TestFetchOCI(t *testing.T) {
	dir := t.TempDir()
	if err := chartrepo.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	archive, err := os.ReadFile(filepath.Join(dir, "antrea-2.7.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	srv := newOCIRegistry(t, "charts/antrea", "2.7.0", archive)
	base := "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/charts"
	f := fetcher{dir: t.TempDir()}

	for _, version := range []string{"2.7.0", "", "~2.7"} {
		ch, err := f.fetch(Source{OCI: base, Chart: "antrea", Version: version, PlainHTTP: true})
		if err != nil {
			t.Fatalf("version %q: %v", version, err)
		}
		if ch.Name() != "antrea" || ch.Metadata.Version != "2.7.0" {
			t.Errorf("version %q: pulled %s %s", version, ch.Name(), ch.Metadata.Version)
		}
	}
	for _, src := range []Source{
		{OCI: base, Chart: "antrea", Version: "9.9.9", PlainHTTP: true},
		{OCI: base, Chart: "calico", Version: "1.0.0", PlainHTTP: true},
		{OCI: base, Chart: "calico", PlainHTTP: true},
	} {
		if _, err := f.fetch(src); !errors.Is(err, ErrChartNotFound) {
			t.Errorf("%s: error %v, want ErrChartNotFound", src, err)
		}
	}
}
