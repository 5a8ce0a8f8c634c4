package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/metrics"
)

// seedClusters writes n clusters with three nodes each, the way provisioning records them.
func seedClusters(b *testing.B, ctx context.Context, exec func(ctx context.Context, sql string, args ...any) error, n int) {
	spec, _ := json.Marshal(domain.ClusterSpec{Name: "x", VCenter: "vc1", KubernetesVersion: "v1.34.2",
		ControlPlane: domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools:  []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}}})
	err := exec(ctx, `
		INSERT INTO clusters (name, spec, phase)
		SELECT 'cluster-' || lpad(g::text, 6, '0'), $1::jsonb, 'Ready' FROM generate_series(1, $2) g`, spec, n)
	if err == nil {
		err = exec(ctx, `
			INSERT INTO nodes (cluster_id, name, role, ip, vm_moref, kubelet_version, ready)
			SELECT c.id, c.name || '-' || r.n, CASE WHEN r.n = 1 THEN 'control-plane' ELSE 'worker' END,
			       ('127.20.0.0'::inet + (row_number() OVER ()) ), 'vm-' || r.n, 'v1.34.2', true
			FROM clusters c, (VALUES (1), (2), (3)) r(n)`)
	}
	if err == nil { // as autovacuum would, so that the planner knows the table's size
		err = exec(ctx, `ANALYZE clusters, nodes`)
	}
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
}

// latencies collects request durations from parallel callers and reports p99 and req/s.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) p99() time.Duration {
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	if len(l.d) == 0 {
		return 0
	}
	return l.d[(len(l.d)*99)/100]
}

// BenchmarkListClusters measures GET /api/v1/clusters?limit=100 over 10,000 clusters
// (30,000 nodes) through the whole API — auth, routing, query, JSON — and, as the baseline
// in the same run, the same page read straight from Postgres with pgx (clusters and their
// nodes, two queries, rows scanned). Compare ns/op, req/s and p99 of the two sub-benchmarks.
func BenchmarkListClusters(b *testing.B) {
	ctx := context.Background()
	store := inventorytest.NewStore(b)
	pool := store.Pool()
	seedClusters(b, ctx, func(ctx context.Context, sql string, args ...any) error {
		_, err := pool.Exec(ctx, sql, args...)
		return err
	}, 10000)
	token, _, err := store.CreateToken(ctx, "bench", domain.RoleViewer, "bench")
	if err != nil {
		b.Fatal(err)
	}
	a := api.New(api.Config{Store: store, Metrics: metrics.New(), Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	b.Run("api", func(b *testing.B) {
		var lat latencies
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			checked := false
			for pb.Next() {
				t0 := time.Now()
				req, _ := http.NewRequest("GET", srv.URL+"/api/v1/clusters?limit=100", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat.add(time.Since(t0))
				if err != nil || resp.StatusCode != 200 {
					b.Errorf("page: %d %v", resp.StatusCode, err)
					return
				}
				// The reply is checked whole once per caller; decoding it every time would
				// measure the client rather than the server.
				if !checked {
					var page struct {
						Items []domain.Cluster `json:"items"`
					}
					if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 100 || len(page.Items[0].Nodes) != 3 {
						b.Errorf("bad page: %v", err)
						return
					}
					checked = true
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		b.ReportMetric(float64(lat.p99().Microseconds())/1000, "p99-ms")
	})

	b.Run("pgx-baseline", func(b *testing.B) {
		var lat latencies
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t0 := time.Now()
				if err := readPageDirect(ctx, pool, 100); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t0))
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		b.ReportMetric(float64(lat.p99().Microseconds())/1000, "p99-ms")
	})
}

// readPageDirect reads the first page of clusters and their nodes with plain pgx: the
// same two queries the store runs, without the API around them.
func readPageDirect(ctx context.Context, pool *pgxpool.Pool, limit int) error {
	rows, err := pool.Query(ctx, `SELECT id, name, spec, phase FROM clusters
		WHERE deleted_at IS NULL AND name > '' ORDER BY name LIMIT $1`, limit+1)
	if err != nil {
		return err
	}
	ids := make([]string, 0, limit)
	for rows.Next() {
		var id, name, phase string
		var spec domain.ClusterSpec
		if err := rows.Scan(&id, &name, &spec, &phase); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = pool.Query(ctx, `SELECT cluster_id, name, role, host(ip), vm_moref, kubelet_version, ready
		FROM nodes WHERE cluster_id = ANY($1) ORDER BY cluster_id, role, name`, ids[:limit])
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		var cid, name, role, ip, vm, kv string
		var ready bool
		if err := rows.Scan(&cid, &name, &role, &ip, &vm, &kv, &ready); err != nil {
			return err
		}
		n++
	}
	if n != 3*limit {
		return fmt.Errorf("read %d nodes, want %d", n, 3*limit)
	}
	return rows.Err()
}
