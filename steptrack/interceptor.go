package steptrack

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// Recorder writes attempts to the operation record; inventory.Store implements it.
type Recorder interface {
	RecordAttemptStart(ctx context.Context, operationID, step string, run, attempt int) error
	RecordAttemptEnd(ctx context.Context, operationID, step string, run, attempt int, failed bool, reason string) error
}

// NewInterceptor returns a worker interceptor that records, for every activity that runs
// for a step, the start and end of each of its attempts with the error of a failed one:
// the step's attempt n spans its activities' n-th attempts. Recording is best effort: a
// failure to record is logged and never fails the activity.
func NewInterceptor(rec Recorder, logger *slog.Logger) interceptor.WorkerInterceptor {
	return &workerInterceptor{rec: rec, logger: logger}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	rec    Recorder
	logger *slog.Logger
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityInterceptor{rec: w.rec, logger: w.logger}
	a.Next = next
	return a
}

type activityInterceptor struct {
	interceptor.ActivityInboundInterceptorBase
	rec    Recorder
	logger *slog.Logger
}

func (a *activityInterceptor) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	ref, ok := FromContext(ctx)
	if !ok {
		return a.Next.ExecuteActivity(ctx, in)
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	if err := a.rec.RecordAttemptStart(ctx, ref.OperationID, ref.Step, ref.Run, attempt); err != nil {
		a.logger.Warn("record step attempt", "operation", ref.OperationID, "step", ref.Step, "error", err)
	}
	res, err := a.Next.ExecuteActivity(ctx, in)
	reason := ""
	if err != nil {
		reason = ErrorMessage(err)
	}
	if rerr := a.rec.RecordAttemptEnd(context.WithoutCancel(ctx), ref.OperationID, ref.Step, ref.Run, attempt, err != nil, reason); rerr != nil {
		a.logger.Warn("record step attempt end", "operation", ref.OperationID, "step", ref.Step, "error", rerr)
	}
	return res, err
}
