package vsphere

import (
	"maps"
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// countLogin records one login attempt to the vCenter known by key.
func (s *Sessions) countLogin(key string) {
	s.logins.Add(1)
	n, _ := s.loginsByKey.LoadOrStore(key, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

// LoginsOf returns how many logins the pool has performed to the vCenter
// known by key, counted as Logins counts them. It is what proves "one
// session per vCenter per worker process": after any number of activities
// on one vCenter whose session did not expire, it is 1.
func (s *Sessions) LoginsOf(key string) int64 {
	if n, ok := s.loginsByKey.Load(key); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

// loginCounts returns LoginsOf for every key that has logged in.
func (s *Sessions) loginCounts() map[string]int64 {
	counts := map[string]int64{}
	s.loginsByKey.Range(func(k, n any) bool {
		counts[k.(string)] = n.(*atomic.Int64).Load()
		return true
	})
	return counts
}

// vcenterLoginsDesc describes the counter that Sessions exports.
var vcenterLoginsDesc = prometheus.NewDesc(
	"clusterwright_vcenter_logins_total",
	"vCenter logins performed by the worker's session pool (first logins, re-logins after expiry, after a change of credentials), by vCenter.",
	[]string{"vcenter"}, nil,
)

// Describe implements prometheus.Collector, so that the pool can be
// registered on the process's registry (metrics.Metrics.Registry).
func (s *Sessions) Describe(ch chan<- *prometheus.Desc) { ch <- vcenterLoginsDesc }

// Collect implements prometheus.Collector: one counter per vCenter key.
func (s *Sessions) Collect(ch chan<- prometheus.Metric) {
	counts := s.loginCounts()
	for _, key := range slices.Sorted(maps.Keys(counts)) {
		ch <- prometheus.MustNewConstMetric(vcenterLoginsDesc, prometheus.CounterValue, float64(counts[key]), key)
	}
}
