// Package api is Clusterwright's REST API: a chi router whose handlers are methods on one
// API struct. The contract is openapi.yaml in this directory (served at
// /api/openapi.yaml); a test keeps the router and the contract in step.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/metrics"
	"github.com/clusterwright/clusterwright/operations"
)

// CredentialChecker logs in to a vCenter to prove credentials before they are saved.
type CredentialChecker func(ctx context.Context, creds domain.VCenterCredentials) error

// Config is what the API needs.
type Config struct {
	Store        *inventory.Store
	Operations   *operations.Service
	Temporal     client.Client // readiness checks
	CheckVCenter CredentialChecker
	// CheckClusterAccount logs in with a cluster account and checks its privileges
	// (vsphere.CheckClusterAccount); nil checks the login only.
	CheckClusterAccount CredentialChecker
	Metrics             *metrics.Metrics
	Logger              *slog.Logger
	Portal              http.Handler // the web portal, served at / (optional)
	// DecisionTimeout is how long a failed step waits for a decision when the request
	// does not say (default domain.DefaultDecisionTimeout).
	DecisionTimeout time.Duration
	// EventKeepAlive is how often a quiet event stream gets a comment (default 15 s).
	EventKeepAlive time.Duration
	// DevFaults, set by `clusterwright dev` only, serves /dev/faults: the simulator's
	// fault rules, changed at run time.
	DevFaults DevFaults
	// ClusterSetWorkflows are the workflows of the ClusterSet operations.
	ClusterSetWorkflows ClusterSetWorkflows
	// Schedules keeps Day-2 schedules; the schedule routes answer 503 without it.
	Schedules *operations.Schedules
	// Backups are the backup targets' names and the default retention.
	Backups BackupSettings
	// Kubeconfigs issues personal kubeconfigs; without it the kubeconfig route
	// answers that there is none.
	Kubeconfigs KubeconfigIssuer
	// KubeconfigMaxTTL is the longest ttl of a personal kubeconfig (default
	// domain.DefaultKubeconfigMaxTTL).
	KubeconfigMaxTTL time.Duration
	// RateLimit bounds each token's audited requests (zero: no limit).
	RateLimit RateLimit
	// VCenterAllowedHosts are the servers a vCenter registration may name (empty: any).
	VCenterAllowedHosts domain.HostAllowList
	// SSO, when set, signs people in through an OpenID Connect provider (see SSOConfig).
	SSO *SSOConfig
}

// ClusterSetWorkflows are the workflow functions (or registered names) that the ClusterSet
// routes start through operations.Service, e.g. workflows.FormClusterSet. A route whose
// workflow is nil answers 503: the operation is not available on this server.
type ClusterSetWorkflows struct {
	Form    any // takes workflows.FormClusterSetInput
	Join    any // takes workflows.JoinClusterSetInput
	Leave   any // takes workflows.LeaveClusterSetInput
	Disband any // takes workflows.DisbandClusterSetInput
}

// API serves the REST API.
type API struct {
	store    *inventory.Store
	ops      *operations.Service
	temporal client.Client
	check    CredentialChecker
	// checkCluster checks a cluster account; nil checks its login only.
	checkCluster CredentialChecker
	metrics      *metrics.Metrics
	logger       *slog.Logger
	portal       http.Handler
	// decisionTimeout is the default of requests' decision_timeout.
	decisionTimeout time.Duration
	// eventKeepAlive is how often a quiet event stream gets a comment.
	eventKeepAlive time.Duration
	// devFaults is nil outside dev mode.
	devFaults DevFaults
	// clusterSets are the workflows of the ClusterSet operations.
	clusterSets ClusterSetWorkflows
	// schedules is nil when the server runs no schedules.
	schedules *operations.Schedules
	// backups are the backup targets' names and the default retention.
	backups BackupSettings
	// kubeconfigs issues personal kubeconfigs, valid for at most kubeconfigMaxTTL.
	kubeconfigs      KubeconfigIssuer
	kubeconfigMaxTTL time.Duration
	// limiter is nil without a rate limit.
	limiter *tokenLimiter
	// vcenterHosts are the servers a vCenter registration may name.
	vcenterHosts domain.HostAllowList
	// sso is nil without single sign-on.
	sso *sso
}

// New returns the API for cfg.
func New(cfg Config) *API {
	if cfg.DecisionTimeout <= 0 {
		cfg.DecisionTimeout = domain.DefaultDecisionTimeout
	}
	if cfg.KubeconfigMaxTTL <= 0 {
		cfg.KubeconfigMaxTTL = domain.DefaultKubeconfigMaxTTL
	}
	if cfg.EventKeepAlive <= 0 {
		cfg.EventKeepAlive = eventKeepAlive
	}
	return &API{
		store: cfg.Store, ops: cfg.Operations, temporal: cfg.Temporal, check: cfg.CheckVCenter, checkCluster: cfg.CheckClusterAccount,
		metrics: cfg.Metrics, logger: cfg.Logger, portal: cfg.Portal, decisionTimeout: cfg.DecisionTimeout,
		eventKeepAlive: cfg.EventKeepAlive, devFaults: cfg.DevFaults, clusterSets: cfg.ClusterSetWorkflows,
		schedules: cfg.Schedules, backups: cfg.Backups,
		kubeconfigs: cfg.Kubeconfigs, kubeconfigMaxTTL: cfg.KubeconfigMaxTTL,
		limiter: newTokenLimiter(cfg.RateLimit), vcenterHosts: cfg.VCenterAllowedHosts, sso: newSSO(cfg.SSO),
	}
}
