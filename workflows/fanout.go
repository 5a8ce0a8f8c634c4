package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"
)

// fanOut runs fn on every item at once, each in its own coroutine, started in the order
// of items, waits for all of them and returns their errors by index (nil where fn
// succeeded). fn may keep its results at index i.
func fanOut[T any](ctx workflow.Context, items []T, fn func(ctx workflow.Context, i int, item T) error) []error {
	errs := make([]error, len(items))
	wg := workflow.NewWaitGroup(ctx)
	for i, item := range items {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			errs[i] = fn(ctx, i, item)
		})
	}
	wg.Wait(ctx)
	return errs
}

// inParallel runs fn on every item at once (see fanOut) and returns their errors joined.
func inParallel[T any](ctx workflow.Context, items []T, fn func(workflow.Context, T) error) error {
	return errors.Join(fanOut(ctx, items, func(ctx workflow.Context, _ int, item T) error { return fn(ctx, item) })...)
}
