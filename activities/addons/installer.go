package addons

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of a Release.
const (
	// DefaultTimeout bounds waiting for readiness and hooks, as Helm's does.
	DefaultTimeout = 5 * time.Minute
	// MaxHistory is how many revisions of a release Helm keeps.
	MaxHistory = 10
)

// Installer installs, upgrades, inspects and removes Helm releases in
// workload clusters with the Helm SDK. Every call builds its own Helm and
// Kubernetes client configuration from the kubeconfig it is given, so one
// Installer serves any number of clusters concurrently. Calls on the same
// release are serialised within the process; across processes, Helm's
// pending release states are the lock (see Apply).
type Installer struct {
	// Sources are the add-ons' chart sources (used by Activities).
	Sources Sources
	// CacheDir holds per-cluster discovery caches and downloaded chart
	// indexes; default <user cache dir>/clusterwright/addons.
	CacheDir string
	// Logger receives progress at info level and Helm's output at debug
	// level; nil means slog.Default(). Values are never logged.
	Logger *slog.Logger

	locks keyedLocks
}

// Release is the desired state of one Helm release.
type Release struct {
	// Name is the release name, Namespace its namespace (where Helm keeps
	// the release record and namespaced objects go by default).
	Name      string
	Namespace string
	// Source is where the chart comes from.
	Source Source
	// Values are the chart values, in full: values of an earlier revision
	// are not reused (Helm's --reset-values). They must encode as JSON.
	// Strings under keys naming a password, secret, token or the like are
	// treated as secrets: never logged, masked in errors.
	Values map[string]any
	// CreateNamespace creates Namespace when missing (helm --create-namespace).
	CreateNamespace bool
	// Wait waits until the release's objects are ready (helm --wait), with
	// Helm's readiness checks, for at most Timeout.
	Wait bool
	// Timeout bounds waiting and hooks; default DefaultTimeout.
	Timeout time.Duration
	// Sensitive lists further secret strings to mask in errors and logs.
	Sensitive []string
}

// Status is a release as Helm records it. It carries no values, so it may go
// into workflow histories and API replies.
type Status struct {
	Name         string `json:"name"`
	Namespace    string `json:"namespace"`
	Chart        string `json:"chart"`
	ChartVersion string `json:"chart_version"`
	AppVersion   string `json:"app_version"`
	// Status is Helm's release status: deployed, failed, pending-install,
	// pending-upgrade, pending-rollback, uninstalling, uninstalled, superseded.
	Status   string `json:"status"`
	Revision int    `json:"revision"`
	// Changed says whether Apply made a new revision (false when the release
	// was up to date already, and always false from Installer.Status).
	Changed bool `json:"changed"`
}

// statusOf summarises a Helm release.
func statusOf(r *release.Release) Status {
	st := Status{Name: r.Name, Namespace: r.Namespace, Revision: r.Version}
	if r.Info != nil {
		st.Status = r.Info.Status.String()
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		st.Chart = r.Chart.Metadata.Name
		st.ChartVersion = r.Chart.Metadata.Version
		st.AppVersion = r.Chart.Metadata.AppVersion
	}
	return st
}

// logger is the Installer's logger.
func (i *Installer) logger() *slog.Logger {
	if i.Logger != nil {
		return i.Logger
	}
	return slog.Default()
}

// cacheDir is the Installer's cache directory.
func (i *Installer) cacheDir() string {
	if i.CacheDir != "" {
		return i.CacheDir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "clusterwright", "addons")
	}
	return filepath.Join(os.TempDir(), "clusterwright-addons")
}

// withDefaults fills in the Timeout.
func (r Release) withDefaults() Release {
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	return r
}

// validate checks the release's name, namespace and timeout; its errors
// wrap ErrInvalidRelease.
func validateRelease(name, namespace string, timeout time.Duration) error {
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return fmt.Errorf("%w: release name %q: %w", ErrInvalidRelease, name, err)
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return fmt.Errorf("%w: namespace %q: %s", ErrInvalidRelease, namespace, strings.Join(errs, "; "))
	}
	if timeout < 0 {
		return fmt.Errorf("%w: negative timeout %s", ErrInvalidRelease, timeout)
	}
	return nil
}

// secrets are the strings of the release that must never be shown.
func (r Release) secrets() []string {
	return append(sensitiveValues(r.Values), r.Sensitive...)
}

// fetcher is the Installer's chart fetcher; its files go below the cache
// directory.
func (i *Installer) fetcher() fetcher {
	return fetcher{dir: filepath.Join(i.cacheDir(), "charts")}
}
