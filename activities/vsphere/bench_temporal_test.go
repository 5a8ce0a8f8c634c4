//go:build temporalbench

package vsphere

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/clusterwright/clusterwright/temporalrt"
)

// The provisioning benchmark through a real Temporal worker: the same VMs,
// each cluster's by a workflow that calls EnsureVM and PowerOnVM as
// ProvisionCluster does (control plane first, then the workers in
// parallel), on the project's embedded Temporal server (temporalrt, SQLite)
// with the encrypting payload codec. It links the Temporal server into the
// test binary, hence the build tag:
//
//	go test -tags temporalbench ./activities/vsphere -run '^$' -bench BenchmarkProvisionVMsTemporal -benchtime 1x

const benchTaskQueue = "bench-provision"

// benchClusterInput is the input of benchProvisionWorkflow: references and
// sizes only, as in ProvisionCluster.
type benchClusterInput struct {
	VCenterID string
	ClusterID string
	VMs       []string // the control plane first
}

// benchVMOptions are ProvisionCluster's options of a VM activity.
var benchVMOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 15 * time.Minute,
	HeartbeatTimeout:    20 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 6,
		NonRetryableErrorTypes: []string{ErrTypeBadCredentials}},
}

// benchProvisionWorkflow makes and powers on a cluster's VMs.
func benchProvisionWorkflow(ctx workflow.Context, in benchClusterInput) error {
	ctx = workflow.WithActivityOptions(ctx, benchVMOptions)
	node := func(ctx workflow.Context, name string) error {
		spec := VMSpec{
			VCenterID: in.VCenterID, Placement: defaultPlacement(), Name: name, ClusterID: in.ClusterID,
			CPUs: nodeShape.CPUs, MemoryMiB: nodeShape.MemoryMiB, DiskGiB: nodeShape.DiskGiB,
		}
		var vm VMInfo
		if err := workflow.ExecuteActivity(ctx, "EnsureVM", spec).Get(ctx, &vm); err != nil {
			return err
		}
		ref := VMRef{VCenterID: in.VCenterID, ClusterID: in.ClusterID, Name: name, Moref: vm.Moref}
		return workflow.ExecuteActivity(ctx, "PowerOnVM", ref).Get(ctx, nil)
	}
	if err := node(ctx, in.VMs[0]); err != nil {
		return err
	}
	errs := make([]error, len(in.VMs)-1)
	wg := workflow.NewWaitGroup(ctx)
	for i, name := range in.VMs[1:] {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			errs[i] = node(ctx, name)
		})
	}
	wg.Wait(ctx)
	return errors.Join(errs...)
}

func BenchmarkProvisionVMsTemporal(b *testing.B) {
	srv, err := temporalrt.StartDevServer(temporalrt.DevServerConfig{DatabaseFile: filepath.Join(b.TempDir(), "temporal.db")})
	if err != nil {
		b.Fatalf("start Temporal: %v", err)
	}
	b.Cleanup(func() { _ = srv.Stop() })
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dc, err := temporalrt.NewDataConverter(key)
	if err != nil {
		b.Fatal(err)
	}
	tc, err := temporalrt.Dial(context.Background(), client.Options{
		HostPort: srv.FrontendHostPort(), Namespace: srv.Namespace(), DataConverter: dc,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tc.Close)

	runProvisionBenchmark(b, "temporal", func(ctx context.Context, env benchEnv) (time.Duration, error) {
		// A worker of its own per run, as a worker process has its Activities.
		w := worker.New(tc, benchTaskQueue, worker.Options{}) // as app.NewWorker
		w.RegisterWorkflow(benchProvisionWorkflow)
		w.RegisterActivity(&Activities{Sessions: env.sessions, Store: env.store, Budget: NewTaskBudget(DefaultTaskLimit), GuestInfo: env.guestInfo})
		if err := w.Start(); err != nil {
			return 0, fmt.Errorf("start worker: %w", err)
		}
		defer w.Stop()

		start := time.Now()
		runs := make([]client.WorkflowRun, len(env.clusters))
		for i, c := range env.clusters {
			run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: fmt.Sprintf("bench-%s-%s", env.vcenterID, c.id), TaskQueue: benchTaskQueue,
			}, benchProvisionWorkflow, benchClusterInput{VCenterID: env.vcenterID, ClusterID: c.id, VMs: c.vms()})
			if err != nil {
				return 0, fmt.Errorf("start workflow of %s: %w", c.id, err)
			}
			runs[i] = run
		}
		var errs []error
		for i, run := range runs {
			if err := run.Get(ctx, nil); err != nil {
				errs = append(errs, fmt.Errorf("cluster %s: %w", env.clusters[i].id, err))
			}
		}
		return time.Since(start), errors.Join(errs...)
	})
}
