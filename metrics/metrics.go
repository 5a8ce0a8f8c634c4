// Package metrics defines Clusterwright's Prometheus metrics on one registry that the
// API serves at /metrics.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector of one process.
type Metrics struct {
	Registry *prometheus.Registry

	// HTTPDuration: API request latency by method, route pattern and status code.
	HTTPDuration *prometheus.HistogramVec
	// OperationsStarted: operations started, by kind.
	OperationsStarted *prometheus.CounterVec
	// WorkflowsFinished: workflow runs ended on this worker, by workflow type and outcome.
	WorkflowsFinished *prometheus.CounterVec
	// ActivityAttempts: activity attempts run on this worker, by activity type and outcome.
	ActivityAttempts *prometheus.CounterVec
	// ActivityDuration: activity attempt latency by activity type.
	ActivityDuration *prometheus.HistogramVec
	// ScheduledRuns: runs of Day-2 schedules ended, by kind and outcome (Succeeded,
	// Failed, PartiallyFailed, Skipped).
	ScheduledRuns *prometheus.CounterVec
	// OperationsReleased: operations ended by the reconcile or an admin's abandon
	// instead of their workflow, by reason (closed, not-found, stuck, abandoned).
	OperationsReleased *prometheus.CounterVec
}

// New registers the collectors (and the Go and process collectors) on a new registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "clusterwright", Name: "http_request_duration_seconds",
			Help:    "API request latency by method, route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		OperationsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clusterwright", Name: "operations_started_total", Help: "Operations started, by kind.",
		}, []string{"kind"}),
		WorkflowsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clusterwright", Name: "workflows_finished_total", Help: "Workflow runs finished on this worker, by type and outcome.",
		}, []string{"workflow", "outcome"}),
		ActivityAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clusterwright", Name: "activity_attempts_total", Help: "Activity attempts run on this worker, by type and outcome.",
		}, []string{"activity", "outcome"}),
		ActivityDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "clusterwright", Name: "activity_duration_seconds", Help: "Activity attempt latency by type.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"activity"}),
		ScheduledRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clusterwright", Name: "scheduled_runs_total", Help: "Runs of Day-2 schedules ended, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		OperationsReleased: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clusterwright", Name: "operations_released_total",
			Help: "Operations ended by the reconcile or an abandon instead of their workflow, by reason.",
		}, []string{"reason"}),
	}
	m.Registry.MustRegister(m.HTTPDuration, m.OperationsStarted, m.WorkflowsFinished, m.ActivityAttempts, m.ActivityDuration, m.ScheduledRuns, m.OperationsReleased,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
