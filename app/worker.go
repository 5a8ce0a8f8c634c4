package app

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	invacts "github.com/clusterwright/clusterwright/activities/inventory"
	"github.com/clusterwright/clusterwright/activities/vsphere"
	"github.com/clusterwright/clusterwright/steptrack"
	"github.com/clusterwright/clusterwright/workflows"
)

// NewWorker returns a worker on the Clusterwright task queue with every workflow and
// activity registered: the one place where registration happens.
func (a *App) NewWorker() worker.Worker {
	w := worker.New(a.Temporal, workflows.TaskQueue, worker.Options{
		Interceptors: []interceptor.WorkerInterceptor{
			a.Metrics.WorkerInterceptor(),
			steptrack.NewInterceptor(a.Store, a.Logger),
		},
	})
	Register(w, a)
	return w
}

// Register registers every workflow and activity of Clusterwright on r.
func Register(r worker.Registry, a *App) {
	r.RegisterWorkflow(workflows.SyncInventory)

	r.RegisterActivity(&invacts.Activities{Store: a.Store})
	r.RegisterActivity(&vsphere.Activities{Sessions: a.Sessions, Store: a.Store})
}
