package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/metrics"
	"github.com/clusterwright/clusterwright/migrations"
	"github.com/clusterwright/clusterwright/operations"
	"github.com/clusterwright/clusterwright/steptrack"
	"github.com/clusterwright/clusterwright/temporalrt"
	"github.com/clusterwright/clusterwright/web"
	"github.com/clusterwright/clusterwright/workflows"
)

// App is one Clusterwright process's shared parts: one store, one Temporal client, one
// vCenter session pool and one metrics registry, whatever it runs (API, worker or both).
type App struct {
	Config   Config
	Logger   *slog.Logger
	Store    *inventory.Store
	Temporal client.Client
	Sessions *vsphere.Sessions
	// Budget bounds this process's concurrent tasks per vCenter.
	Budget  *vsphere.TaskBudget
	Metrics *metrics.Metrics
	// Interceptors are further worker interceptors, inside the metrics and step
	// tracking ones (tests use them to slow activities down or watch them).
	Interceptors []interceptor.WorkerInterceptor
	// Schedules keeps Day-2 schedules and holds the registry of schedule kinds (see
	// registerScheduleKinds); tests register kinds of their own on it.
	Schedules *operations.Schedules
	// Workflows are further workflows the worker registers (tests register their
	// schedule kinds' workflows here).
	Workflows []any
	// Backups are the etcd backup targets and key (see app/backups.go).
	Backups *Backups
	// Failures decodes the failures of workflow histories and Payloads their payloads
	// (the client's converters).
	Failures converter.FailureConverter
	Payloads converter.DataConverter
}

// Open connects to Postgres (migrating it when migrate is set) and Temporal.
func Open(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) (*App, error) {
	limit, err := cfg.taskLimit()
	if err != nil {
		return nil, err
	}
	if _, err := cfg.decisionTimeout(); err != nil {
		return nil, err
	}
	if _, err := cfg.scheduleConcurrency(); err != nil {
		return nil, err
	}
	if _, err := cfg.healthInterval(); err != nil {
		return nil, err
	}
	if _, err := cfg.kubeconfigMaxTTL(); err != nil {
		return nil, err
	}
	if _, _, err := cfg.apiLimits(); err != nil {
		return nil, err
	}
	if _, _, _, err := cfg.reconcile(); err != nil {
		return nil, err
	}
	if _, err := cfg.ssoConfig(); err != nil {
		return nil, err
	}
	if migrate && cfg.DatabaseURL != "" {
		if err := migrations.Up(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
	}
	store, keys, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sessions := vsphere.NewSessions(logger)
	backups, err := cfg.backups(keys.Primary, vcenterClients{store: store, sessions: sessions}, keys.Old...)
	if err != nil {
		store.Close()
		return nil, err
	}
	opts, err := temporalrt.ClientOptions(cfg.TemporalAddress, cfg.TemporalNamespace, PayloadKey(keys.Primary), logger, keys.OldPayloadKeys()...)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("temporal client options: %w", err)
	}
	opts.ContextPropagators = []workflow.ContextPropagator{steptrack.Propagator()}
	if err := cfg.temporalSecurity().Apply(&opts); err != nil {
		store.Close()
		return nil, fmt.Errorf("temporal client: %w", err)
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tc, err := temporalrt.Dial(dialCtx, opts)
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &App{Config: cfg, Logger: logger, Store: store, Temporal: tc, Sessions: sessions,
		Budget: vsphere.NewTaskBudget(limit), Metrics: metrics.New(), Backups: backups, Failures: opts.FailureConverter,
		Payloads: opts.DataConverter}
	a.Metrics.Registry.MustRegister(a.Sessions) // clusterwright_vcenter_logins_total
	a.Schedules = &operations.Schedules{Store: store, Temporal: tc, Operations: a.Operations(), Logger: logger}
	registerScheduleKinds(a.Schedules)
	return a, nil
}

// OpenStore opens the inventory alone, for commands that need no Temporal.
func OpenStore(ctx context.Context, cfg Config, logger *slog.Logger) (*inventory.Store, func(), error) {
	store, _, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return store, store.Close, nil
}

func openStore(ctx context.Context, cfg Config) (*inventory.Store, MasterKeys, error) {
	if cfg.DatabaseURL == "" {
		return nil, MasterKeys{}, errors.New("database-url ($DATABASE_URL) is required")
	}
	keys, err := cfg.MasterKeys()
	if err != nil {
		return nil, keys, err
	}
	keyring, err := keys.Keyring()
	if err != nil {
		return nil, keys, err
	}
	store, err := inventory.Open(ctx, cfg.DatabaseURL, keyring)
	return store, keys, err
}

// PayloadKey derives the Temporal payload key from the master key, so that the two
// uses never share a key.
func PayloadKey(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("clusterwright temporal payload codec v1"))
	return m.Sum(nil)
}

// Operations returns the operation starter.
func (a *App) Operations() *operations.Service {
	_, _, stuck, _ := a.Config.reconcile() // checked by Open
	return &operations.Service{Store: a.Store, Temporal: a.Temporal, Logger: a.Logger, Failures: a.Failures, Payloads: a.Payloads,
		StuckAttempts: stuck, Released: func(why string) { a.Metrics.OperationsReleased.WithLabelValues(why).Inc() }}
}

// Reconciler returns the reconcile of operations with their workflows, and whether it
// runs at all (reconcile-interval 0 turns it off).
func (a *App) Reconciler() (*operations.Reconciler, bool) {
	interval, grace, _, _ := a.Config.reconcile() // checked by Open
	return &operations.Reconciler{Operations: a.Operations(), Interval: interval, Grace: grace}, interval > 0
}

// API returns the REST API with the portal.
func (a *App) API() *api.API {
	return api.New(a.APIConfig())
}

// APIConfig is the configuration API builds the REST API from, for callers that add to
// it (dev mode adds its fault endpoints).
func (a *App) APIConfig() api.Config {
	timeout, _ := a.Config.decisionTimeout()      // checked by Open
	maxTTL, _ := a.Config.kubeconfigMaxTTL()      // checked by Open
	rateLimit, allowed, _ := a.Config.apiLimits() // checked by Open
	sso, _ := a.Config.ssoConfig()                // checked by Open
	return api.Config{
		Store: a.Store, Operations: a.Operations(), Temporal: a.Temporal,
		CheckVCenter: vsphere.CheckCredentials, CheckClusterAccount: vsphere.CheckClusterAccount, Metrics: a.Metrics, Logger: a.Logger, Portal: web.Handler(),
		DecisionTimeout: timeout, Schedules: a.Schedules, SSO: sso, RateLimit: rateLimit, VCenterAllowedHosts: allowed,
		Kubeconfigs: &bootstrap.Source{Store: a.Store, Logger: a.Logger}, KubeconfigMaxTTL: maxTTL,
		Backups: api.BackupSettings{Targets: a.Backups.TargetNames(), Retention: a.Backups.Retention},
		ClusterSetWorkflows: api.ClusterSetWorkflows{Form: workflows.FormClusterSet, Join: workflows.JoinClusterSet,
			Leave: workflows.LeaveClusterSet, Disband: workflows.DisbandClusterSet},
	}
}

// Close logs out of vCenters and closes the clients.
func (a *App) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.Sessions.Close(ctx)
	a.Temporal.Close()
	a.Store.Close()
}
