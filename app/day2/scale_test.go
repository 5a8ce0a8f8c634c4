package day2_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

var gateways = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "gateways"}

// testScale scales the worker pool of a cluster that is a ClusterSet's leader (so it
// has Antrea gateways) from 2 to 4 — the worker process restarted while the new nodes
// join — and then to 1, and adds and removes a second pool. At each stage the VMs, the
// Kubernetes Nodes, the inventory's nodes, the address leases and the spec's replicas
// agree; the join token made for the new nodes is gone after; and a watcher of the
// active Gateway never sees it on a node after that node's removal began.
func testScale(t *testing.T, l *lab) {
	spec := apptest.ClusterSpec("sc", 1, 2)
	spec.Addons.KubeSphere, spec.Addons.VSphereCSI = nil, nil
	spec.Network.PodCIDR, spec.Network.ServiceCIDR = "10.20.0.0/16", "10.120.0.0/16"
	c := l.provision(t, spec)
	kc := apptest.KubeClient(t, l.env, "sc")
	dc := dynamic.NewForConfigOrDie(apptest.RESTConfig(t, l.env, "sc"))

	// The gateway on sc-default-1, which the scale-down removes: it has to move first.
	op := l.start(t, "/api/v1/clustersets", map[string]any{"name": "scs", "leader": "sc", "gateways": map[string]any{"sc": []string{"sc-default-1"}}})
	if op = l.env.WaitOperationEnd(op.ID, opTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("form = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
	}
	tokensBefore := bootstrapTokens(t, kc)

	check := func(stage string, workers []string) {
		t.Helper()
		want := append([]string{"sc-cp-0"}, workers...)
		slices.Sort(want)
		if got := vmNames(t, l.env, c.ID); !slices.Equal(got, want) {
			t.Errorf("%s: VMs %v, want %v", stage, got, want)
		}
		if got := nodeNames(t, kc); !slices.Equal(got, want) {
			t.Errorf("%s: Nodes %v, want %v", stage, got, want)
		}
		if got := recordedNodes(t, l.env, "sc"); !slices.Equal(got, want) {
			t.Errorf("%s: inventory nodes %v, want %v", stage, got, want)
		}
		if got := apptest.LeasesOf(t, l.env, c.ID); got != len(want)+1 { // and the VIP
			t.Errorf("%s: %d leases, want %d (the nodes' and the VIP)", stage, got, len(want)+1)
		}
		got := apptest.GetCluster(t, l.env, "sc")
		replicas := 0
		for _, p := range got.Spec.WorkerPools {
			replicas += p.Replicas
		}
		if replicas != len(workers) || got.Phase != domain.PhaseReady {
			t.Errorf("%s: spec has %d workers (%+v), phase %s; want %d, Ready", stage, replicas, got.Spec.WorkerPools, got.Phase, len(workers))
		}
		if tokens := bootstrapTokens(t, kc); !slices.Equal(tokens, tokensBefore) {
			t.Errorf("%s: bootstrap tokens %v, before %v: the join token outlived the scale", stage, tokens, tokensBefore)
		}
	}

	t.Run("up to 4, the worker restarted", func(t *testing.T) {
		start := time.Now()
		op := l.start(t, "/api/v1/clusters/sc/scale", map[string]any{"pool": "default", "replicas": 4})
		l.restartWorkerDuring(t, op.ID, workflows.StepAddNodes)
		if op = l.env.WaitOperationEnd(op.ID, opTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("scale up = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		t.Logf("scale 2 -> 4 took %s", time.Since(start).Round(100*time.Millisecond))
		check("after 2 -> 4", []string{"sc-default-0", "sc-default-1", "sc-default-2", "sc-default-3"})
		l.env.CheckReplay("scale-up", op)
	})

	t.Run("down to 1, the gateway moved first", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		gw := watchGateway(ctx, dc)
		op := l.start(t, "/api/v1/clusters/sc/scale", map[string]any{"pool": "default", "replicas": 1})
		op = l.env.WaitOperationEnd(op.ID, opTimeout)
		cancel()
		seen := gw.wait()
		if op.State != domain.OpSucceeded {
			t.Fatalf("scale down = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		var order []string
		for _, s := range op.Steps {
			if node, ok := strings.CutPrefix(s.Name, workflows.StepRemoveNode+"-"); ok {
				order = append(order, node)
				for _, o := range seen {
					if o.active == node && s.FinishedAt != nil && o.at.After(*s.FinishedAt) {
						t.Errorf("the active Gateway was on %s at %s, after its removal ended at %s", node, o.at, s.FinishedAt)
					}
				}
			}
		}
		if want := []string{"sc-default-3", "sc-default-2", "sc-default-1"}; !slices.Equal(order, want) {
			t.Errorf("removed %v, want the newest first %v", order, want)
		}
		check("after 4 -> 1", []string{"sc-default-0"})
		actives := map[string]bool{}
		for _, o := range seen {
			actives[o.active] = true
		}
		if len(seen) == 0 || seen[len(seen)-1].active != "sc-default-0" && seen[len(seen)-1].active != "sc-cp-0" {
			t.Errorf("the active Gateway at the end: %+v; want a node that stays", seen[max(len(seen)-1, 0):])
		}
		t.Logf("active Gateways seen during the scale-down: %v (%d observations)", actives, len(seen))
		if !actives["sc-default-1"] {
			t.Errorf("the active Gateway was never seen on sc-default-1, where the set put it: %v", actives)
		}
		var st domain.ClusterSet
		l.env.Do("GET", "/api/v1/clustersets/scs", l.env.AdminToken, nil).JSON(t, &st)
		if len(st.Members) != 1 || !slices.Contains([]string{"sc-default-0", "sc-cp-0"}, st.Members[0].Gateway.Active) ||
			slices.ContainsFunc(st.Members[0].Gateway.Candidates, func(n string) bool { return n != "sc-default-0" && n != "sc-cp-0" }) {
			t.Errorf("the ClusterSet's record of sc after the scale-down: %+v; want its gateway and candidates on nodes that stay", st.Members)
		}
	})

	t.Run("a pool added and removed", func(t *testing.T) {
		op := l.start(t, "/api/v1/clusters/sc/scale", map[string]any{"pool": "big", "replicas": 1, "cpus": 4})
		if op = l.env.WaitOperationEnd(op.ID, opTimeout); op.State != domain.OpSucceeded {
			t.Fatalf("add pool = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
		}
		check("with pool big", []string{"sc-big-0", "sc-default-0"})
		if r := l.env.Do("POST", "/api/v1/clusters/sc/scale", l.env.AdminToken, map[string]any{"pool": "default", "replicas": 0}); r.Status != 202 {
			t.Errorf("scale default to 0 with big holding a worker = %d %s, want 202", r.Status, r.Body)
		} else {
			var reply struct{ Operation domain.Operation }
			r.JSON(t, &reply)
			if op := l.env.WaitOperationEnd(reply.Operation.ID, opTimeout); op.State != domain.OpSucceeded {
				t.Fatalf("remove pool default = %s: %s", op.State, op.Error)
			}
			check("pool default removed", []string{"sc-big-0"})
		}
		r := l.env.Do("POST", "/api/v1/clusters/sc/scale", l.env.AdminToken, map[string]any{"pool": "big", "replicas": 0})
		if r.Status != 400 && r.Status != 422 || !strings.Contains(string(r.Body), `"replicas"`) {
			t.Errorf("scale the last worker away = %d %s; want 4xx naming replicas", r.Status, r.Body)
		}
	})
}

// bootstrapTokens lists the cluster's bootstrap token Secrets.
func bootstrapTokens(t *testing.T, kc kubernetes.Interface) []string {
	t.Helper()
	list, err := kc.CoreV1().Secrets("kube-system").List(context.Background(), metav1.ListOptions{FieldSelector: "type=bootstrap.kubernetes.io/token"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range list.Items {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
}

// gatewayObservation is the active Gateway at a time.
type gatewayObservation struct {
	at     time.Time
	active string
}

type gatewayWatch struct {
	done chan struct{}
	mu   sync.Mutex
	seen []gatewayObservation
}

// watchGateway polls the active Gateway every 200 ms.
func watchGateway(ctx context.Context, dc dynamic.Interface) *gatewayWatch {
	w := &gatewayWatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			list, err := dc.Resource(gateways).Namespace("kube-system").List(ctx, metav1.ListOptions{})
			if err == nil && len(list.Items) > 0 {
				w.mu.Lock()
				w.seen = append(w.seen, gatewayObservation{at: time.Now(), active: list.Items[0].GetName()})
				w.mu.Unlock()
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return w
}

func (w *gatewayWatch) wait() []gatewayObservation {
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}
