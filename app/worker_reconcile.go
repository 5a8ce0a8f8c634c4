package app

import (
	"context"
	"sync"

	"go.temporal.io/sdk/worker"
)

// reconcilingWorker is a worker that also runs the reconcile of operations with their
// workflows (see operations.Reconciler) while it runs: every worker process runs one, so
// no operation stays held by a workflow that will never end it as long as any worker is
// up. The passes of several workers do not overlap (an advisory lock).
type reconcilingWorker struct {
	worker.Worker
	app *App

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// Start starts the worker, then the reconcile.
func (w *reconcilingWorker) Start() error {
	if err := w.Worker.Start(); err != nil {
		return err
	}
	w.startReconcile()
	return nil
}

// Run runs the worker and the reconcile until interruptCh says stop.
func (w *reconcilingWorker) Run(interruptCh <-chan any) error {
	w.startReconcile()
	defer w.stopReconcile()
	return w.Worker.Run(interruptCh)
}

// Stop stops the reconcile, then the worker.
func (w *reconcilingWorker) Stop() {
	w.stopReconcile()
	w.Worker.Stop()
}

func (w *reconcilingWorker) startReconcile() {
	r, on := w.app.Reconciler()
	if !on {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		r.Run(ctx)
	}(w.done)
}

func (w *reconcilingWorker) stopReconcile() {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.stop, w.done = nil, nil
	w.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
