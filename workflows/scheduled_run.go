package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/activities/health"
	"github.com/clusterwright/clusterwright/activities/schedules"
	"github.com/clusterwright/clusterwright/domain"
)

// scheduleActs names the scheduled-run activities; it is never called.
var scheduleActs *schedules.Activities

// healthActs names the health-check activity of cluster-health runs; it is never called.
var healthActs *health.Activities

// ScheduledRunInput is the action of a Temporal Schedule: one run of the Day-2 schedule
// ScheduleID.
type ScheduledRunInput struct {
	ScheduleID string
	Kind       string
	Cluster    string // a cluster's name, or "*"
	Params     domain.ScheduleParams
}

// ScheduledRun runs a schedule once: it starts the operation of its kind on each target
// cluster, a bounded number at a time, waits for each to end, and records the run. The
// operations are started to compensate at once when a step fails: nobody is there to
// decide. A busy cluster is skipped, not failed. A cluster-health run starts no
// operation: it checks each Ready, Degraded or Unreachable cluster (see checkHealth).
func ScheduledRun(ctx workflow.Context, in ScheduledRunInput) (domain.ScheduleRun, error) {
	started := workflow.Now(ctx)
	ctx = workflow.WithActivityOptions(ctx, recordOptions)
	// A cluster-health run checks the clusters itself instead of starting operations
	// (a branch on the input alone: the other kinds' commands are unchanged).
	list, work := scheduleActs.ListTargets, runOn
	if in.Kind == domain.ScheduleClusterHealth {
		list, work = scheduleActs.ListHealthTargets, checkHealth
	}
	var targets schedules.Targets
	if err := workflow.ExecuteActivity(ctx, list, in.Cluster).Get(ctx, &targets); err != nil {
		return domain.ScheduleRun{}, err
	}
	results := make([]domain.ScheduledTarget, len(targets.Clusters))
	sem := workflow.NewSemaphore(ctx, int64(max(targets.Concurrency, 1)))
	wg := workflow.NewWaitGroup(ctx)
	for i, t := range targets.Clusters {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			if err := sem.Acquire(ctx, 1); err != nil {
				results[i] = domain.ScheduledTarget{Cluster: t.Name, Outcome: domain.RunFailed, Reason: message(err)}
				return
			}
			defer sem.Release(1)
			results[i] = work(ctx, in, t)
		})
	}
	wg.Wait(ctx)

	run := domain.ScheduleRun{Time: started, Operations: []string{}, Targets: append(targets.Skipped, results...)}
	for _, r := range run.Targets {
		if r.Operation != "" {
			run.Operations = append(run.Operations, r.Operation)
		}
		switch r.Outcome {
		case domain.RunSucceeded:
			run.Counts.Succeeded++
		case domain.RunSkipped:
			run.Counts.Skipped++
		default:
			run.Counts.Failed++
		}
	}
	run.Outcome = run.Counts.Outcome()
	run.FinishedAt = workflow.Now(ctx)
	err := workflow.ExecuteActivity(ctx, scheduleActs.RecordRun,
		schedules.RunRecord{ScheduleID: in.ScheduleID, Kind: in.Kind, Run: run}).Get(ctx, nil)
	return run, err
}

// awaitOptions: waiting for an operation a run started, however long it takes.
var awaitOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 72 * time.Hour,
	HeartbeatTimeout:    heartbeatTimeout,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
}

// runOn starts the run's operation on one cluster and waits for its end.
func runOn(ctx workflow.Context, in ScheduledRunInput, t schedules.Target) domain.ScheduledTarget {
	out := domain.ScheduledTarget{Cluster: t.Name}
	var started schedules.Started
	err := workflow.ExecuteActivity(ctx, scheduleActs.StartOperation, schedules.StartInput{
		ScheduleID: in.ScheduleID, Kind: in.Kind, Cluster: t, Params: in.Params}).Get(ctx, &started)
	switch {
	case err != nil:
		out.Outcome, out.Reason = domain.RunFailed, message(err)
		return out
	case started.Skipped != "":
		out.Outcome, out.Reason = domain.RunSkipped, started.Skipped
		return out
	}
	out.Operation = started.OperationID
	var ended schedules.Ended
	err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, awaitOptions), scheduleActs.AwaitOperation,
		started.OperationID).Get(ctx, &ended)
	switch {
	case err != nil:
		out.Outcome, out.Reason = domain.RunFailed, message(err)
	case ended.State == domain.OpSucceeded:
		out.Outcome = domain.RunSucceeded
	default:
		out.Outcome, out.Reason = domain.RunFailed, ended.State+": "+ended.Error
	}
	return out
}

// healthOptions: one health check of one cluster; its requests have short timeouts of
// their own, and the next run comes soon, so it is tried twice at most.
var healthOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	HeartbeatTimeout:    heartbeatTimeout,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 2},
}

// checkHealth checks one cluster and records its phase: a healthy cluster counts as
// succeeded, a Degraded or Unreachable one as failed (with the reason), one the check
// did not judge (busy, deleted) as skipped.
func checkHealth(ctx workflow.Context, _ ScheduledRunInput, t schedules.Target) domain.ScheduledTarget {
	out := domain.ScheduledTarget{Cluster: t.Name}
	var res health.Result
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, healthOptions), healthActs.CheckCluster,
		health.Input{ClusterID: t.ID, Name: t.Name}).Get(ctx, &res)
	switch {
	case err != nil:
		out.Outcome, out.Reason = domain.RunFailed, "health check: "+message(err)
	case res.Skipped != "":
		out.Outcome, out.Reason = domain.RunSkipped, res.Skipped
	case res.Phase == domain.PhaseReady:
		out.Outcome = domain.RunSucceeded
	default:
		out.Outcome, out.Reason = domain.RunFailed, res.Phase+": "+res.Reason
	}
	return out
}
