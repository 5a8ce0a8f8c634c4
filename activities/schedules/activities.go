// Package schedules holds the activities of a scheduled run (workflows.ScheduledRun):
// list the clusters a schedule targets, start the operation of its kind on one of them
// through an injected Starter, wait for that operation's end, and record the run.
package schedules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/metrics"
)

// Starter starts the operation of a schedule kind on a cluster. It is implemented outside
// the activities (operations.Schedules), which start workflows; an unregistered kind is
// an error of type ErrTypeUnknownKind, a busy cluster a *domain.BusyError.
type Starter interface {
	StartScheduled(ctx context.Context, req StartRequest) (domain.Operation, error)
}

// StartRequest asks for the operation of one scheduled run on one cluster.
type StartRequest struct {
	ScheduleID string
	Kind       string
	Cluster    domain.Cluster
	Params     domain.ScheduleParams
}

// Actor is the actor of the operations a schedule starts.
func Actor(scheduleID string) string { return "schedule:" + scheduleID }

// Error types of the activities.
const (
	// ErrTypeUnknownKind: the server has no operation registered for the kind.
	ErrTypeUnknownKind = "UnknownScheduleKind"
	// ErrTypeScheduleGone: the schedule's record was deleted while it ran.
	ErrTypeScheduleGone = "ScheduleGone"
)

// DefaultConcurrency is how many clusters a run works on at once, unless set.
const DefaultConcurrency = 4

// Activities are the activities of a scheduled run.
type Activities struct {
	Store   *inventory.Store
	Starter Starter
	Metrics *metrics.Metrics
	// Concurrency bounds the clusters a run works on at once (DefaultConcurrency when 0).
	Concurrency int
	// PollInterval is how often AwaitOperation reads the operation (2 s when 0).
	PollInterval time.Duration
}

// Target is a cluster a run works on.
type Target struct {
	ID   string
	Name string
}

// Targets is the clusters of one run and how many to work on at once. Skipped are the
// clusters that are not Ready, with why.
type Targets struct {
	Clusters    []Target
	Skipped     []domain.ScheduledTarget
	Concurrency int
}

// ListTargets returns the named cluster if it is Ready (else it is skipped), or every
// Ready cluster for "*".
func (a *Activities) ListTargets(ctx context.Context, cluster string) (Targets, error) {
	return a.listTargets(ctx, cluster, []string{domain.PhaseReady})
}

// ListHealthTargets returns the clusters a cluster-health run checks: the named cluster
// or, for "*", every cluster, if Ready, Degraded or Unreachable (not in the middle of an
// operation's phases).
func (a *Activities) ListHealthTargets(ctx context.Context, cluster string) (Targets, error) {
	return a.listTargets(ctx, cluster, domain.HealthPhases)
}

// listTargets returns the named cluster if it is in one of phases (else it is skipped),
// or every cluster in those phases for "*".
func (a *Activities) listTargets(ctx context.Context, cluster string, phases []string) (Targets, error) {
	out := Targets{Concurrency: a.Concurrency}
	if out.Concurrency <= 0 {
		out.Concurrency = DefaultConcurrency
	}
	if cluster != domain.AllClusters {
		c, err := a.Store.GetCluster(ctx, cluster)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			out.Skipped = append(out.Skipped, domain.ScheduledTarget{Cluster: cluster, Outcome: domain.RunSkipped, Reason: "no such cluster"})
		case err != nil:
			return out, err
		case !slices.Contains(phases, c.Phase):
			out.Skipped = append(out.Skipped, domain.ScheduledTarget{Cluster: cluster, Outcome: domain.RunSkipped, Reason: "cluster is " + c.Phase})
		default:
			out.Clusters = append(out.Clusters, Target{ID: c.ID, Name: c.Name})
		}
		return out, nil
	}
	for _, phase := range phases {
		page := inventory.Page{Limit: inventory.MaxLimit}
		for {
			list, next, err := a.Store.ListClusters(ctx, inventory.ClusterFilter{Phase: phase}, page)
			if err != nil {
				return out, err
			}
			for _, c := range list {
				out.Clusters = append(out.Clusters, Target{ID: c.ID, Name: c.Name})
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
	}
	return out, nil
}

// StartInput is one cluster's start of a scheduled run.
type StartInput struct {
	ScheduleID string
	Kind       string
	Cluster    Target
	Params     domain.ScheduleParams
}

// Started is the outcome of a start: the operation, or why the cluster was skipped.
type Started struct {
	OperationID string
	Skipped     string // the reason, when the cluster was busy or gone
}

// StartOperation starts the schedule's operation on one cluster. A busy cluster, or one
// that is no longer Ready, is skipped, not failed.
func (a *Activities) StartOperation(ctx context.Context, in StartInput) (Started, error) {
	c, err := a.Store.GetCluster(ctx, in.Cluster.Name)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && c.ID != in.Cluster.ID) {
		return Started{Skipped: "cluster was deleted"}, nil
	}
	if err != nil {
		return Started{}, err
	}
	if c.Phase != domain.PhaseReady {
		return Started{Skipped: "cluster is " + c.Phase}, nil
	}
	op, err := a.Starter.StartScheduled(ctx, StartRequest{ScheduleID: in.ScheduleID, Kind: in.Kind, Cluster: c, Params: in.Params})
	var busy *domain.BusyError
	if errors.As(err, &busy) {
		return a.busy(ctx, in, busy), nil
	}
	var notDue *domain.NotDueError
	if errors.As(err, &notDue) {
		return Started{Skipped: notDue.Reason}, nil
	}
	if err != nil {
		return Started{}, fmt.Errorf("start %s on cluster %s: %w", in.Kind, c.Name, err)
	}
	if a.Metrics != nil {
		a.Metrics.OperationsStarted.WithLabelValues(op.Kind).Inc()
	}
	return Started{OperationID: op.ID}, nil
}

// busy is the start on a cluster busy with another operation: skipped, unless that
// operation is this schedule's own, started by an earlier attempt of this activity whose
// result was lost (a schedule's runs never overlap), which the run then follows.
func (a *Activities) busy(ctx context.Context, in StartInput, busy *domain.BusyError) Started {
	op, err := a.Store.GetOperation(ctx, busy.Operation)
	if err == nil && op.Actor == Actor(in.ScheduleID) && domain.OperationActive(op.State) {
		return Started{OperationID: op.ID}
	}
	return Started{Skipped: busy.Error()}
}

// Ended is the end of an operation.
type Ended struct {
	State string
	Error string
}

// AwaitOperation waits for the operation to end, reading it every PollInterval and
// heartbeating meanwhile. An operation AwaitingDecision has not ended: scheduled runs
// start theirs with on_failure=compensate, so it does not wait long (a person may still
// take a decision on it).
func (a *Activities) AwaitOperation(ctx context.Context, operationID string) (Ended, error) {
	interval := a.PollInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		op, err := a.Store.GetOperation(ctx, operationID)
		if err != nil {
			return Ended{}, fmt.Errorf("read operation %s: %w", operationID, err)
		}
		if !domain.OperationActive(op.State) {
			return Ended{State: op.State, Error: op.Error}, nil
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, op.State)
		}
		select {
		case <-ctx.Done():
			return Ended{}, ctx.Err()
		case <-t.C:
		}
	}
}

// RunRecord is the end of one run of a schedule.
type RunRecord struct {
	ScheduleID string
	Kind       string
	Run        domain.ScheduleRun
}

// RecordRun records the run as the schedule's last run and counts it in the metrics. A
// schedule deleted meanwhile is a non-retryable error.
func (a *Activities) RecordRun(ctx context.Context, r RunRecord) error {
	err := a.Store.RecordScheduleRun(ctx, r.ScheduleID, r.Run)
	if errors.Is(err, domain.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeScheduleGone, err)
	}
	if err != nil {
		return err
	}
	if a.Metrics != nil {
		a.Metrics.ScheduledRuns.WithLabelValues(r.Kind, r.Run.Outcome).Inc()
	}
	return nil
}
