// Package app assembles Clusterwright's processes from their configuration: the inventory
// store, the Temporal client, the worker with every workflow and activity, and the API.
// The commands in cmd/clusterwright and the end-to-end tests build on it.
package app

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/clusterwright/clusterwright/activities/schedules"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/operations"
)

// Config is everything a Clusterwright process is configured with. Each field has a flag
// and an environment variable; the flag wins.
type Config struct {
	Listen            string // API address
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	SecretKey         string // encoded master key; takes precedence over SecretKeyFile
	SecretKeyFile     string
	// OldSecretKeyFiles is a comma-separated list of files holding earlier master keys:
	// they open what was sealed before a rotation (Temporal payloads still in retention,
	// old backups, rows not re-sealed yet) but never seal (see app/keys.go).
	OldSecretKeyFiles string
	LogLevel          string
	LogFormat         string // json, text or auto (text on a terminal)
	StateDir          string // dev mode only
	// ChartMirror is where every add-on chart comes from instead of the
	// upstream repositories: an HTTP(S) chart repository, an oci:// path
	// or a local directory (see addons.MirroredSources).
	ChartMirror string
	// KubeSphereImageRegistry is the mirror KubeSphere's images come from.
	KubeSphereImageRegistry string
	// AntreaImageRegistry is the registry the Antrea multi-cluster
	// controller's image comes from; empty means upstream (Docker Hub).
	AntreaImageRegistry string
	// VCenterTaskLimit bounds the concurrent tasks per vCenter of this
	// worker (clone, power, reconfigure, delete); default 8.
	VCenterTaskLimit string
	// CacheDir holds Helm's downloaded chart indexes and discovery caches.
	CacheDir string
	// DecisionTimeout is how long a failed step waits for a person's decision when the
	// request does not say (a Go duration; default 24h).
	DecisionTimeout string
	// ScheduleConcurrency bounds the clusters one run of a "*" schedule works on at
	// once (default 4).
	ScheduleConcurrency string
	// HealthInterval is how often the default cluster-health schedule, created at start
	// when none exists, checks every cluster (a Go duration, at least 1m; default 5m;
	// 0: no default schedule).
	HealthInterval string
	// ReconcileInterval is how often each worker compares the active operations with
	// their workflows and releases those no workflow will end (a Go duration; default
	// 30s; 0: never).
	ReconcileInterval string
	// ReconcileGrace is how long after its workflow closed an operation is left for the
	// workflow's last record to land before the reconcile ends it (default 1m).
	ReconcileGrace string
	// StuckWorkflowAttempts is the attempt of a failing workflow task from which the
	// reconcile terminates the workflow and fails its operation (default 10).
	StuckWorkflowAttempts string
	// Backup targets and retention: see app/backups.go.
	BackupSettings
	// Personal kubeconfigs: see app/kubeconfig_settings.go.
	KubeconfigSettings
	// TLS, Temporal credentials, rate limit and vCenter allow-list: see app/edge_settings.go.
	EdgeSettings
	// Single sign-on: see app/sso_settings.go.
	SSOSettings
}

// Setting documents one configuration value, for `clusterwright help`.
type Setting struct {
	Flag, Env, Default, Help string
	target                   *string
}

// Settings returns the settings bound to c's fields.
func (c *Config) Settings() []Setting {
	return append([]Setting{
		{"listen", "CLUSTERWRIGHT_LISTEN", "127.0.0.1:8080", "address the API and portal listen on", &c.Listen},
		{"database-url", "DATABASE_URL", "", "Postgres URL of the inventory (dev: a private Postgres when empty)", &c.DatabaseURL},
		{"temporal-address", "TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port (dev: an embedded server)", &c.TemporalAddress},
		{"temporal-namespace", "TEMPORAL_NAMESPACE", "default", "Temporal namespace", &c.TemporalNamespace},
		{"secret-key", "CLUSTERWRIGHT_SECRET_KEY", "", "master key sealing secrets at rest and Temporal payloads (32 bytes, base64 or hex)", &c.SecretKey},
		{"secret-key-file", "CLUSTERWRIGHT_SECRET_KEY_FILE", "", "file holding the master key (dev: <state-dir>/secret.key, generated)", &c.SecretKeyFile},
		{"old-secret-key-files", "CLUSTERWRIGHT_OLD_SECRET_KEY_FILES", "", "comma-separated files of earlier master keys, kept after `clusterwright key rotate` to open (never seal) what they sealed: Temporal payloads still in retention, older backups", &c.OldSecretKeyFiles},
		{"log-level", "CLUSTERWRIGHT_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"log-format", "CLUSTERWRIGHT_LOG_FORMAT", "auto", "json, text, or auto: readable text lines on a terminal, JSON otherwise", &c.LogFormat},
		{"state-dir", "CLUSTERWRIGHT_STATE_DIR", ".clusterwright", "dev mode: where the private Postgres, Temporal database, keys and env file live", &c.StateDir},
		{"chart-mirror", "CLUSTERWRIGHT_CHART_MIRROR", "", "add-on charts from this mirror instead of upstream: an http(s) chart repository, oci:// path or directory (KubeSphere needs one; it must carry vsphere-cpi 1.<minor>.0 for each supported Kubernetes minor, as a cluster's CPI chart follows its Kubernetes version; dev: the simulator's charts)", &c.ChartMirror},
		{"kubesphere-image-registry", "CLUSTERWRIGHT_KUBESPHERE_IMAGE_REGISTRY", "", "registry mirror of KubeSphere's images", &c.KubeSphereImageRegistry},
		{"antrea-image-registry", "CLUSTERWRIGHT_ANTREA_IMAGE_REGISTRY", "", "registry mirror of the Antrea multi-cluster controller's image (empty: upstream)", &c.AntreaImageRegistry},
		{"vcenter-task-limit", "CLUSTERWRIGHT_VCENTER_TASK_LIMIT", "8", "concurrent vCenter tasks per vCenter and worker", &c.VCenterTaskLimit},
		{"cache-dir", "CLUSTERWRIGHT_CACHE_DIR", "", "Helm chart and discovery caches (default: the user cache directory)", &c.CacheDir},
		{"decision-timeout", "CLUSTERWRIGHT_DECISION_TIMEOUT", "24h", "how long an operation whose step failed waits for a retry or cancel before it compensates, unless the request says (1s to 720h)", &c.DecisionTimeout},
		{"schedule-concurrency", "CLUSTERWRIGHT_SCHEDULE_CONCURRENCY", "4", "clusters one run of a schedule for every cluster (\"*\") works on at once (1 to 64)", &c.ScheduleConcurrency},
		{"health-interval", "CLUSTERWRIGHT_HEALTH_INTERVAL", "5m", "how often the default cluster-health schedule, created at start when there is none, checks every cluster (at least 1m; 0: create none)", &c.HealthInterval},
		{"reconcile-interval", "CLUSTERWRIGHT_RECONCILE_INTERVAL", "30s", "how often each worker finds operations whose workflow is closed, gone or stuck, fails them and frees their targets (0: never)", &c.ReconcileInterval},
		{"reconcile-grace", "CLUSTERWRIGHT_RECONCILE_GRACE", "1m", "how long after its workflow closed an operation is left for the workflow's last record before the reconcile ends it", &c.ReconcileGrace},
		{"stuck-workflow-attempts", "CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS", "10", "the attempt of a failing workflow task (a panic, a nondeterminism) from which the reconcile terminates the workflow and fails its operation (2 to 1000)", &c.StuckWorkflowAttempts},
	}, slices.Concat(c.backupSettings(), c.kubeconfigSettings(), c.edgeSettings(), c.ssoSettings())...)
}

// Bind registers the settings named in names (all when empty) as flags on fs, with
// defaults taken from the environment.
func (c *Config) Bind(fs *flag.FlagSet, names ...string) {
	for _, s := range c.Settings() {
		if len(names) > 0 && !contains(names, s.Flag) {
			continue
		}
		def := s.Default
		if v, ok := os.LookupEnv(s.Env); ok {
			def = v
		}
		fs.StringVar(s.target, s.Flag, def, s.Help+" ($"+s.Env+")")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FromEnvironment names the environment variables that gave a setting its value in this
// run: the settings bound to fs whose flag was not given but whose variable is set.
func (c *Config) FromEnvironment(fs *flag.FlagSet) []string {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var out []string
	for _, s := range c.Settings() {
		if fs.Lookup(s.Flag) == nil || given[s.Flag] {
			continue
		}
		if _, ok := os.LookupEnv(s.Env); ok {
			out = append(out, s.Env)
		}
	}
	return out
}

// decisionTimeout is DecisionTimeout as a duration (default domain.DefaultDecisionTimeout).
func (c *Config) decisionTimeout() (time.Duration, error) {
	if c.DecisionTimeout == "" {
		return domain.DefaultDecisionTimeout, nil
	}
	d, err := domain.ParseDecisionTimeout(c.DecisionTimeout)
	if err != nil {
		return 0, fmt.Errorf("decision-timeout: %w", err)
	}
	return d, nil
}

// taskLimit is VCenterTaskLimit as a number (default vsphere.DefaultTaskLimit).
func (c *Config) taskLimit() (int, error) {
	if c.VCenterTaskLimit == "" {
		return vsphere.DefaultTaskLimit, nil
	}
	n, err := strconv.Atoi(c.VCenterTaskLimit)
	if err != nil || n < 1 || n > 256 {
		return 0, fmt.Errorf("vcenter-task-limit %q: want a number from 1 to 256", c.VCenterTaskLimit)
	}
	return n, nil
}

// scheduleConcurrency is ScheduleConcurrency as a number (default
// schedules.DefaultConcurrency).
func (c *Config) scheduleConcurrency() (int, error) {
	if c.ScheduleConcurrency == "" {
		return schedules.DefaultConcurrency, nil
	}
	n, err := strconv.Atoi(c.ScheduleConcurrency)
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("schedule-concurrency %q: want a number from 1 to 64", c.ScheduleConcurrency)
	}
	return n, nil
}

// DefaultHealthInterval is the interval of the default cluster-health schedule.
const DefaultHealthInterval = 5 * time.Minute

// healthInterval is HealthInterval as a duration (default DefaultHealthInterval; 0
// means no default cluster-health schedule).
func (c *Config) healthInterval() (time.Duration, error) {
	if c.HealthInterval == "" {
		return DefaultHealthInterval, nil
	}
	d, err := time.ParseDuration(c.HealthInterval)
	if c.HealthInterval == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || (d > 0 && d < domain.MinScheduleEvery) {
		return 0, fmt.Errorf("health-interval %q: want a duration of at least %s, or 0 for none", c.HealthInterval, domain.MinScheduleEvery)
	}
	return d, nil
}

// reconcile is the reconcile's settings: interval (0: no reconcile), grace and the
// stuck workflow task attempt.
func (c *Config) reconcile() (interval, grace time.Duration, stuck int32, err error) {
	interval, grace, stuck = operations.DefaultReconcileInterval, operations.DefaultReconcileGrace, operations.DefaultStuckAttempts
	if c.ReconcileInterval != "" {
		if interval, err = time.ParseDuration(c.ReconcileInterval); c.ReconcileInterval == "0" {
			interval, err = 0, nil
		}
		if err != nil || interval < 0 {
			return 0, 0, 0, fmt.Errorf("reconcile-interval %q: want a duration, or 0 for none", c.ReconcileInterval)
		}
	}
	if c.ReconcileGrace != "" {
		if grace, err = time.ParseDuration(c.ReconcileGrace); err != nil || grace <= 0 {
			return 0, 0, 0, fmt.Errorf("reconcile-grace %q: want a positive duration", c.ReconcileGrace)
		}
	}
	if c.StuckWorkflowAttempts != "" {
		n, err := strconv.Atoi(c.StuckWorkflowAttempts)
		if err != nil || n < 2 || n > 1000 {
			return 0, 0, 0, fmt.Errorf("stuck-workflow-attempts %q: want a number from 2 to 1000", c.StuckWorkflowAttempts)
		}
		stuck = int32(n)
	}
	return interval, grace, stuck, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
