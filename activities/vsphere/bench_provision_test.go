package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/sim"
)

// The provisioning benchmark (issue 4, "Done when"): the VMs of 50 clusters
// of 4 nodes are cloned from the template and powered on, through the
// service's activities (EnsureVM, PowerOnVM) and with plain govmomi, in
// the same run, each against a fresh in-process vcsim, at the same
// concurrency (one goroutine per cluster: the control plane first, then the
// workers in parallel, as ProvisionCluster does) and bounded by the same 8
// concurrent vCenter tasks. Each iteration runs each path twice (see
// benchOrder); ns/op is the time of all four runs. It reports, averaged
// per run of a path:
//
//	activities-s  wall time of the activities, session login included
//	plain-s       wall time of plain govmomi, login and lookups included
//	ratio         activities-s / plain-s (target <= 1.2)
//	logins        vCenter logins of the activities' session pool (target 1)
//
// Both runs are checked afterwards to have made the same 200 VMs (see
// verifyProvisioned).
//
// Run it alone with
//
//	go test ./activities/vsphere -run '^$' -bench BenchmarkProvisionVMs -benchtime 1x
//
// (make bench runs it with -benchtime 3s, which is one iteration too.) The
// same measurement through a real Temporal worker is
// BenchmarkProvisionVMsTemporal (bench_temporal_test.go, build tag
// temporalbench).
const (
	benchClusterCount = 50
	benchWorkers      = 3 // per cluster, next to one control plane
	// benchPathTimeout bounds one path of one round: the benchmark fails
	// rather than hangs.
	benchPathTimeout = 5 * time.Minute
)

func BenchmarkProvisionVMs(b *testing.B) {
	runProvisionBenchmark(b, "activities", func(ctx context.Context, env benchEnv) (time.Duration, error) {
		a := &Activities{Sessions: env.sessions, Store: env.store, Budget: NewTaskBudget(DefaultTaskLimit), GuestInfo: env.guestInfo}
		return provisionWithActivities(ctx, a, env.vcenterID, env.clusters)
	})
}

// benchEnv is what a service path of the benchmark runs on: a fresh vCenter
// registered in the inventory as vcenterID, and a fresh session pool.
type benchEnv struct {
	vcenterID string
	store     Store
	sessions  *Sessions
	guestInfo GuestInfoSource
	clusters  []benchCluster
}

// benchOrder is the order of the paths in one iteration: each runs twice,
// and each runs first once, so that neither always runs on a process (and
// a machine) that the other has warmed up or left busy.
var benchOrder = []string{"service", "plain", "plain", "service"}

// runProvisionBenchmark measures service, the service's way of provisioning
// the benchmark's VMs, against plain govmomi (see the comment at the top)
// and reports the metrics, the service's wall time as name-s.
func runProvisionBenchmark(b *testing.B, name string, service func(context.Context, benchEnv) (time.Duration, error)) {
	clusters := benchClusters(benchClusterCount, benchWorkers)
	gi := renderGuestInfo(b, clusters)
	store := inventorytest.NewStore(b)

	total := map[string]time.Duration{}
	var logins int64
	rounds := 0
	for b.Loop() {
		b.StopTimer()
		for _, path := range benchOrder {
			vc := startVCenter(b, sim.VCenterOptions{})
			ctx, cancel := context.WithTimeout(context.Background(), benchPathTimeout)
			var d time.Duration
			var err error
			switch path {
			case "service":
				env := benchEnv{
					vcenterID: registerVCenter(b, store, fmt.Sprintf("bench-%d", rounds), vc), store: store,
					sessions: NewSessions(slog.New(slog.DiscardHandler)), guestInfo: gi, clusters: clusters,
				}
				b.StartTimer()
				d, err = service(ctx, env)
				b.StopTimer()
				logins += env.sessions.LoginsOf(env.vcenterID)
				env.sessions.Close(context.Background())
			case "plain":
				b.StartTimer()
				d, err = provisionPlain(ctx, vc, clusters, gi, DefaultTaskLimit)
				b.StopTimer()
			}
			cancel()
			if err != nil {
				b.Fatalf("%s: %v", path, err)
			}
			verifyProvisioned(b, path, vc, clusters, gi)
			vc.Close()
			total[path] += d
			rounds++
		}
		b.StartTimer()
	}
	runs := float64(rounds / 2) // per path
	svc, plain := total["service"].Seconds()/runs, total["plain"].Seconds()/runs
	b.ReportMetric(svc, name+"-s")
	b.ReportMetric(plain, "plain-s")
	b.ReportMetric(svc/plain, "ratio")
	b.ReportMetric(float64(logins)/runs, "logins")
	b.ReportMetric(float64(len(clusters)*(1+benchWorkers)), "VMs")
}

// provisionWithActivities makes and powers on the VMs of clusters through
// the activities, as ProvisionCluster calls them: EnsureVM, then PowerOnVM
// with the moref EnsureVM returned.
func provisionWithActivities(ctx context.Context, a *Activities, vcenterID string, clusters []benchCluster) (time.Duration, error) {
	start := time.Now()
	err := forEachNode(ctx, clusters, func(ctx context.Context, c benchCluster, name string) error {
		info, err := a.EnsureVM(ctx, VMSpec{
			VCenterID: vcenterID, Placement: defaultPlacement(), Name: name, ClusterID: c.id,
			CPUs: nodeShape.CPUs, MemoryMiB: nodeShape.MemoryMiB, DiskGiB: nodeShape.DiskGiB,
		})
		if err != nil {
			return fmt.Errorf("EnsureVM %s: %w", name, err)
		}
		if err := a.PowerOnVM(ctx, VMRef{VCenterID: vcenterID, ClusterID: c.id, Name: name, Moref: info.Moref}); err != nil {
			return fmt.Errorf("PowerOnVM %s: %w", name, err)
		}
		return nil
	})
	return time.Since(start), err
}

// forEachNode runs node for every VM of every cluster: one goroutine per
// cluster, which does its control plane first, then its workers in
// parallel. It returns the errors of all calls.
func forEachNode(ctx context.Context, clusters []benchCluster, node func(ctx context.Context, c benchCluster, name string) error) error {
	var mu sync.Mutex
	var errs []error
	record := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for _, c := range clusters {
		wg.Go(func() {
			if err := node(ctx, c, c.cp); err != nil {
				record(err)
				return
			}
			var workers sync.WaitGroup
			for _, w := range c.works {
				workers.Go(func() { record(node(ctx, c, w)) })
			}
			workers.Wait()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
