package steptrack

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// Recorder writes attempts to the operation record; inventory.Store implements it.
type Recorder interface {
	RecordAttempt(ctx context.Context, operationID, step string, attempt int) error
	RecordAttemptError(ctx context.Context, operationID, step, reason string) error
}

// NewInterceptor returns a worker interceptor that records the attempt number of every
// activity that runs for a step (a step's attempts are the most any of its activities
// needed), and the error of every failed attempt. Recording is best effort:
// a failure to record is logged and never fails the activity.
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
	if err := a.rec.RecordAttempt(ctx, ref.OperationID, ref.Step, int(activity.GetInfo(ctx).Attempt)); err != nil {
		a.logger.Warn("record step attempt", "operation", ref.OperationID, "step", ref.Step, "error", err)
	}
	res, err := a.Next.ExecuteActivity(ctx, in)
	if err != nil {
		if rerr := a.rec.RecordAttemptError(context.WithoutCancel(ctx), ref.OperationID, ref.Step, err.Error()); rerr != nil {
			a.logger.Warn("record step error", "operation", ref.OperationID, "step", ref.Step, "error", rerr)
		}
	}
	return res, err
}
