package app_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// slowActivities makes activities wait before they start, so that each step of a
// workflow lasts long enough for a test to catch it running: every activity by delay,
// or only those named in only.
type slowActivities struct {
	interceptor.WorkerInterceptorBase
	delay time.Duration
	only  map[string]time.Duration // by activity type
}

func (s *slowActivities) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &slowActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, slow: s}
}

type slowActivity struct {
	interceptor.ActivityInboundInterceptorBase
	slow *slowActivities
}

func (s *slowActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	delay := s.slow.delay
	if s.slow.only != nil {
		delay = s.slow.only[activity.GetInfo(ctx).ActivityType.Name]
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(delay):
	}
	return s.Next.ExecuteActivity(ctx, in)
}

// TestProvisionSurvivesWorkerLossAtEveryStep loses the worker in every step of a
// provision, one after the other — the worker is stopped while the step runs and a new
// one started, as when the worker process is killed and restarted — and the cluster
// still ends Ready with exactly one VM per node.
func TestProvisionSurvivesWorkerLossAtEveryStep(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, Interceptors: []interceptor.WorkerInterceptor{&slowActivities{delay: time.Second}}})
	apptest.RegisterLab(t, env, "63")
	spec := apptest.ClusterSpec("gamma", 1, 1)
	op := apptest.StartProvision(t, env, spec)

	killed := map[string]bool{}
	deadline := time.Now().Add(apptest.ProvisionTimeout)
	for {
		var cur domain.Operation
		env.Do("GET", "/api/v1/operations/"+op.ID, env.AdminToken, nil).JSON(t, &cur)
		if cur.State != domain.OpPending && cur.State != domain.OpRunning {
			op = cur
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("provision still %s after %s: %+v", cur.State, apptest.ProvisionTimeout, cur.Steps)
		}
		for _, s := range cur.Steps {
			if s.State == domain.StepRunning && !killed[s.Name] {
				killed[s.Name] = true
				t.Logf("losing the worker in step %s", s.Name)
				env.StopWorker()
				env.StartWorker()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	for _, s := range op.Steps {
		if !killed[s.Name] {
			t.Errorf("the worker was never lost in step %s", s.Name)
		}
	}
	c := apptest.GetCluster(t, env, "gamma")
	if c.Phase != domain.PhaseReady {
		t.Fatalf("phase %s (%s)", c.Phase, c.PhaseReason)
	}
	vms := apptest.ClusterVMs(t, env, c.ID)
	names := map[string]int{}
	for _, vm := range vms {
		names[vm.Name]++
	}
	if len(vms) != 2 || names["gamma-cp-0"] != 1 || names["gamma-default-0"] != 1 {
		t.Errorf("VMs after the losses: %+v", vms)
	}
	checkNodes(t, apptest.KubeClient(t, env, "gamma"), 2)
}
