package metrics

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// WorkerInterceptor counts workflow runs and activity attempts on a worker.
func (m *Metrics) WorkerInterceptor() interceptor.WorkerInterceptor {
	return &workerInterceptor{m: m}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	m *Metrics
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityCounter{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, m: w.m}
}

func (w *workerInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &workflowCounter{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, m: w.m}
}

type activityCounter struct {
	interceptor.ActivityInboundInterceptorBase
	m *Metrics
}

func (a *activityCounter) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	name := activity.GetInfo(ctx).ActivityType.Name
	start := time.Now()
	res, err := a.Next.ExecuteActivity(ctx, in)
	a.m.ActivityDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	a.m.ActivityAttempts.WithLabelValues(name, outcome(err)).Inc()
	return res, err
}

type workflowCounter struct {
	interceptor.WorkflowInboundInterceptorBase
	m *Metrics
}

func (w *workflowCounter) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	res, err := w.Next.ExecuteWorkflow(ctx, in)
	// Count once per real completion, not on every replay of the history.
	if !workflow.IsReplaying(ctx) {
		w.m.WorkflowsFinished.WithLabelValues(workflow.GetInfo(ctx).WorkflowType.Name, outcome(err)).Inc()
	}
	return res, err
}

func outcome(err error) string {
	if err != nil {
		return "failure"
	}
	return "success"
}
