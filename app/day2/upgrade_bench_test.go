package day2_test

import (
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// nodeActivities are the activities of an upgrade that wait on the nodes themselves: the
// packages and static Pods upgraded over SSH, the kubelet coming back at the new version,
// the drains, and the etcd probes.
var nodeActivities = []string{"UpgradeNode", "WaitNodeVersion", "DrainNode", "EtcdHealth"}

// BenchmarkUpgrade upgrades a cluster of 1 control plane + 2 workers (the baseline) and
// one of 3 + 3 from the older supported version to the newer, in the simulated
// datacenter, and reports each one's wall time (ns/op) and the share of it spent in the
// activities that wait on the nodes (node-wait-%). Compare the 3+3 line with the 1+2
// line of the same run: `go test -run '^$' -bench Upgrade -benchtime 1x ./app/day2/`.
// Each iteration provisions a fresh cluster with the timer stopped.
func BenchmarkUpgrade(b *testing.B) {
	to := domain.KubernetesVersions().Default
	from := domain.PreviousVersion(to)
	l := startLab(b)
	for _, shape := range []struct{ controlPlanes, workers int }{{1, 2}, {3, 3}} {
		b.Run(fmt.Sprintf("%d+%d", shape.controlPlanes, shape.workers), func(b *testing.B) {
			var wall, nodeWait time.Duration
			for i := range b.N {
				b.StopTimer()
				spec := apptest.ClusterSpec(fmt.Sprintf("bu%d-%d%d", i, shape.controlPlanes, shape.workers), shape.controlPlanes, shape.workers)
				spec.KubernetesVersion, spec.Placement.Template = from, sim.TemplateName(from)
				spec.Addons.KubeSphere, spec.Addons.VSphereCSI = nil, nil
				l.provision(b, spec)
				before := activitySeconds(b, l)
				b.StartTimer()
				start := time.Now()
				op := l.start(b, "/api/v1/clusters/"+spec.Name+"/upgrade", map[string]any{"kubernetes_version": to, "backup": false})
				op = l.env.WaitOperationEnd(op.ID, opTimeout)
				b.StopTimer()
				if op.State != domain.OpSucceeded {
					b.Fatalf("upgrade of %s = %s: %s", spec.Name, op.State, op.Error)
				}
				wall += time.Since(start)
				nodeWait += time.Duration((activitySeconds(b, l) - before) * float64(time.Second))
				b.StartTimer()
			}
			b.ReportMetric(100*nodeWait.Seconds()/wall.Seconds(), "node-wait-%")
			b.ReportMetric(wall.Seconds()/float64(b.N), "s/upgrade")
		})
	}
}

// activitySeconds sums the time the worker spent in nodeActivities so far.
func activitySeconds(b *testing.B, l *lab) float64 {
	b.Helper()
	families, err := l.env.App.Metrics.Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != "clusterwright_activity_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			if isNodeActivity(m) {
				sum += m.GetHistogram().GetSampleSum()
			}
		}
	}
	return sum
}

func isNodeActivity(m *dto.Metric) bool {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == "activity" {
			for _, a := range nodeActivities {
				if lp.GetValue() == a {
					return true
				}
			}
		}
	}
	return false
}
