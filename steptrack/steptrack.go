// Package steptrack ties activity attempts to the operation step they belong to, so that
// an operation's timeline shows every attempt and every retried error, not only the final
// outcome. A workflow marks the step on its context (WithStep); a context propagator
// carries the mark in the activity's headers; a worker interceptor records each attempt.
package steptrack

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Ref names one run of one step of one operation. Run numbers the step's runs from 1
// (a person's retry starts a new run); 0, from workflows older than runs, means 1.
type Ref struct {
	OperationID string `json:"operation_id"`
	Step        string `json:"step"`
	Run         int    `json:"run,omitempty"`
}

type refKey struct{}

// headerKey is the activity header that carries a Ref.
const headerKey = "clusterwright-step"

// WithStep marks the activities started from the returned context as attempts of ref.
func WithStep(ctx workflow.Context, ref Ref) workflow.Context {
	return workflow.WithValue(ctx, refKey{}, ref)
}

// FromContext returns the step an activity runs for, if the workflow marked one.
func FromContext(ctx context.Context) (Ref, bool) {
	r, ok := ctx.Value(refKey{}).(Ref)
	return r, ok && r.OperationID != ""
}

// Propagator returns the context propagator that carries a Ref from workflow to activity.
// Every client and worker of Clusterwright must be created with it.
func Propagator() workflow.ContextPropagator { return propagator{} }

type propagator struct{}

func (propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	if r, ok := ctx.Value(refKey{}).(Ref); ok {
		return write(w, r)
	}
	return nil
}

func (propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	if r, ok := ctx.Value(refKey{}).(Ref); ok {
		return write(w, r)
	}
	return nil
}

func (propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	ref, ok, err := read(r)
	if err != nil || !ok {
		return ctx, err
	}
	return context.WithValue(ctx, refKey{}, ref), nil
}

func (propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	ref, ok, err := read(r)
	if err != nil || !ok {
		return ctx, err
	}
	return workflow.WithValue(ctx, refKey{}, ref), nil
}

func write(w workflow.HeaderWriter, r Ref) error {
	p, err := converter.GetDefaultDataConverter().ToPayload(r)
	if err != nil {
		return err
	}
	w.Set(headerKey, p)
	return nil
}

func read(r workflow.HeaderReader) (Ref, bool, error) {
	var ref Ref
	p, ok := r.Get(headerKey)
	if !ok {
		return ref, false, nil
	}
	err := converter.GetDefaultDataConverter().FromPayload(p, &ref)
	return ref, err == nil, err
}
