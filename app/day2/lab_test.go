// Package day2_test runs the Day-2 node operations end to end on the real stack:
// Postgres, the Temporal test server, a worker, the API and a simulated datacenter
// whose clusters run real API servers and etcd of two Kubernetes releases. It is a
// package of its own so that it runs beside the app package's tests; its clusters share
// one datacenter.
package day2_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// TestMain reports hung tests before the package's timeout.
func TestMain(m *testing.M) { apptest.Main(m) }

// opTimeout bounds one Day-2 operation.
const opTimeout = 10 * time.Minute

// lab is the datacenter with the test's clusters, provisioned in parallel.
type lab struct {
	env *apptest.Env
	mu  sync.Mutex
}

// TestDay2 runs the Day-2 node operations, each on a cluster of its own, in parallel in
// one simulated datacenter.
func TestDay2(t *testing.T) {
	l := startLab(t)
	t.Run("upgrade", func(t *testing.T) { t.Parallel(); testUpgrade(t, l) })
	t.Run("scale", func(t *testing.T) { t.Parallel(); testScale(t, l) })
	t.Run("replace", func(t *testing.T) { t.Parallel(); testReplaceControlPlane(t, l) })
}

// startLab starts a datacenter (pool 127.74.0.0/24) that lives as long as t.
func startLab(t testing.TB) *lab {
	t.Helper()
	env := apptest.StartWith(t, apptest.DecisionDatacenterOptions(sim.NewFaults()))
	apptest.RegisterLab(t, env, "74")
	return &lab{env: env}
}

// provision provisions spec and fails the test unless it succeeds.
func (l *lab) provision(t testing.TB, spec domain.ClusterSpec) domain.Cluster {
	t.Helper()
	op := apptest.StartProvision(t, l.env, spec)
	if op = l.env.WaitOperationEnd(op.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision of %s = %s: %s; steps %v", spec.Name, op.State, op.Error, apptest.StepStates(op))
	}
	return apptest.GetCluster(t, l.env, spec.Name)
}

// start posts a request that starts an operation and returns the operation.
func (l *lab) start(t testing.TB, path string, body any) domain.Operation {
	t.Helper()
	r := l.env.Do("POST", path, l.env.AdminToken, body)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation
}

// restartWorkerDuring stops the worker once the operation runs step (a prefix of its
// name) and starts a new one a moment later, as a crashed and restarted process would.
func (l *lab) restartWorkerDuring(t *testing.T, opID, step string) {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for time.Now().Before(deadline) {
		var op domain.Operation
		l.env.Do("GET", "/api/v1/operations/"+opID, l.env.AdminToken, nil).JSON(t, &op)
		if !domain.OperationActive(op.State) {
			t.Fatalf("operation ended (%s: %s) before step %s ran", op.State, op.Error, step)
		}
		if slices.ContainsFunc(op.Steps, func(s domain.Step) bool { return strings.HasPrefix(s.Name, step) && s.State == domain.StepRunning }) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.env.StopWorker()
			time.Sleep(2 * time.Second)
			l.env.StartWorker()
			t.Logf("worker restarted during step %s", step)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("step %s never ran", step)
}

// nodeNames lists the cluster's Kubernetes Nodes.
func nodeNames(t *testing.T, kc kubernetes.Interface) []string {
	t.Helper()
	list, err := kc.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list.Items {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out
}

// vmNames lists the cluster's VMs in vCenter.
func vmNames(t *testing.T, env *apptest.Env, clusterID string) []string {
	t.Helper()
	var out []string
	for _, vm := range apptest.ClusterVMs(t, env, clusterID) {
		out = append(out, vm.Name)
	}
	slices.Sort(out)
	return out
}

// recordedNodes lists the inventory's nodes of a cluster.
func recordedNodes(t *testing.T, env *apptest.Env, name string) []string {
	t.Helper()
	var out []string
	for _, n := range apptest.GetCluster(t, env, name).Nodes {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out
}

// stepDurations logs each step's wall time and returns the operation's.
func stepDurations(t testing.TB, op domain.Operation) time.Duration {
	t.Helper()
	var total time.Duration
	for _, s := range op.Steps {
		if s.StartedAt == nil || s.FinishedAt == nil {
			continue
		}
		d := s.FinishedAt.Sub(*s.StartedAt)
		total += d
		t.Logf("  step %-40s %-10s %s", s.Name, s.State, d.Round(10*time.Millisecond))
	}
	return total
}
