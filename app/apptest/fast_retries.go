package apptest

import (
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// FastRetries is a worker interceptor that shortens the waits between automatic
// attempts of every activity to fastRetryInterval, keeping their number: a step that
// fails after its retries does so in seconds, not minutes, and everything else runs as
// in production.
func FastRetries() interceptor.WorkerInterceptor { return &fastRetries{} }

const fastRetryInterval = 100 * time.Millisecond

type fastRetries struct {
	interceptor.WorkerInterceptorBase
}

func (*fastRetries) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &fastRetriesInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type fastRetriesInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *fastRetriesInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&fastRetriesOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

type fastRetriesOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (o *fastRetriesOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	opts := workflow.GetActivityOptions(ctx)
	if opts.RetryPolicy != nil {
		p := *opts.RetryPolicy
		p.InitialInterval, p.MaximumInterval, p.BackoffCoefficient = fastRetryInterval, fastRetryInterval, 1
		opts.RetryPolicy = &p
		ctx = workflow.WithActivityOptions(ctx, opts)
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}
