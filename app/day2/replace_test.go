package day2_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/workflows"
)

// testReplaceControlPlane replaces the first control plane (the one that ran kubeadm
// init, and the VIP's first holder) of a cluster of three, the worker process restarted
// while the new one joins: a new control plane joins first as a fourth etcd member,
// then the old one drains, stops and leaves etcd, and its Node, VM and lease go. A
// poller asks the API at the virtual IP every 200 ms throughout; the longest gap is
// reported. etcd ends with three voting members, none of them the old node's, and
// a worker is replaced the same way.
func testReplaceControlPlane(t *testing.T, l *lab) {
	spec := apptest.ClusterSpec("rp", 3, 1)
	spec.Addons.KubeSphere, spec.Addons.VSphereCSI = nil, nil
	spec.Network.PodCIDR, spec.Network.ServiceCIDR = "10.30.0.0/16", "10.130.0.0/16"
	c := l.provision(t, spec)
	cfg := apptest.RESTConfig(t, l.env, "rp")
	kc := kubernetes.NewForConfigOrDie(cfg)

	ctx, cancel := context.WithCancel(context.Background())
	p := pollAPI(ctx, cfg)
	watch := apptest.WatchUserdata(t, l.env)
	start := time.Now()
	op := l.start(t, "/api/v1/clusters/rp/nodes/rp-cp-0/replace", nil)
	l.restartWorkerDuring(t, op.ID, workflows.StepAddNodes)
	op = l.env.WaitOperationEnd(op.ID, opTimeout)
	cancel()
	watch.Stop()
	gap, polls, failures := p.wait()
	if op.State != domain.OpSucceeded {
		t.Fatalf("replace = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
	}
	t.Logf("replacing rp-cp-0 took %s; the API at the VIP answered %d of %d polls, the longest gap %s",
		time.Since(start).Round(100*time.Millisecond), polls-failures, polls, gap.Round(10*time.Millisecond))
	stepDurations(t, op)
	want := []string{"rp-cp-1", "rp-cp-2", "rp-cp-3", "rp-default-0"}
	if got := nodeNames(t, kc); !slices.Equal(got, want) {
		t.Errorf("Nodes %v, want %v", got, want)
	}
	if got := vmNames(t, l.env, c.ID); !slices.Equal(got, want) {
		t.Errorf("VMs %v, want %v", got, want)
	}
	if got := recordedNodes(t, l.env, "rp"); !slices.Equal(got, want) {
		t.Errorf("inventory nodes %v, want %v", got, want)
	}
	if got := apptest.LeasesOf(t, l.env, c.ID); got != len(want)+1 {
		t.Errorf("%d leases, want %d", got, len(want)+1)
	}
	checkEtcd(t, l, "rp-cp-3", []string{"rp-cp-1", "rp-cp-2", "rp-cp-3"})
	checkCertificateKeyJoin(t, l, watch, c.ID, "rp-cp-3")
	l.env.CheckReplay("replace-control-plane", op)

	// A worker is replaced the same way, with a new name in its pool.
	op = l.start(t, "/api/v1/clusters/rp/nodes/rp-default-0/replace", map[string]any{"drain_timeout": "1m"})
	if op = l.env.WaitOperationEnd(op.ID, opTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("replace worker = %s: %s; steps %v", op.State, op.Error, apptest.StepStates(op))
	}
	want = []string{"rp-cp-1", "rp-cp-2", "rp-cp-3", "rp-default-1"}
	if got := nodeNames(t, kc); !slices.Equal(got, want) {
		t.Errorf("Nodes after the worker's replacement %v, want %v", got, want)
	}
	if got := vmNames(t, l.env, c.ID); !slices.Equal(got, want) {
		t.Errorf("VMs after the worker's replacement %v, want %v", got, want)
	}
	if r := l.env.Do("POST", "/api/v1/clusters/rp/nodes/rp-nowhere/replace", l.env.AdminToken, nil); r.Status != 400 && r.Status != 422 && r.Status != 404 {
		t.Errorf("replace an unknown node = %d %s", r.Status, r.Body)
	}
}

// checkEtcd checks that etcd, asked on node, has exactly the voting members want.
func checkEtcd(t *testing.T, l *lab, node string, want []string) {
	t.Helper()
	n := l.env.Datacenter.Node(node)
	if n == nil {
		t.Fatalf("no simulated node %s", node)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	members, err := n.EtcdMembers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range members {
		if m.Learner {
			t.Errorf("etcd member %s is still a learner", m.Name)
		}
		got = append(got, m.Name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("etcd members %v, want %v", got, want)
	}
}

// apiPoller asks the API server for its version every 200 ms and keeps the longest time
// between two answers.
type apiPoller struct {
	done            chan struct{}
	mu              sync.Mutex
	gap             time.Duration
	polls, failures int
}

func pollAPI(ctx context.Context, cfg *rest.Config) *apiPoller {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = time.Second
	kc := kubernetes.NewForConfigOrDie(cfg)
	p := &apiPoller{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		last := time.Now()
		for ctx.Err() == nil {
			_, err := kc.Discovery().ServerVersion()
			now := time.Now()
			p.mu.Lock()
			p.polls++
			if err != nil {
				p.failures++
			} else {
				p.gap = max(p.gap, now.Sub(last))
				last = now
			}
			p.mu.Unlock()
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return p
}

// wait stops polling and returns the longest gap between answers and the counts.
func (p *apiPoller) wait() (time.Duration, int, int) {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gap, p.polls, p.failures
}

// checkCertificateKeyJoin checks a control plane that joined a running cluster: the
// userdata its VM's guestinfo carried (seen in vCenter while it joined, and as the
// simulated node booted with it) handed it no private key but a certificate key for
// kubeadm-certs, its guestinfo holds no userdata any more, and the kubeadm-certs
// Secret and the stored certificate key are gone.
func checkCertificateKeyJoin(t *testing.T, l *lab, watch *apptest.UserdataWatch, clusterID, name string) {
	t.Helper()
	_, first, last := watch.Seen()
	ud, ok := first[name]
	if !ok {
		t.Fatalf("the watch never saw %s's userdata in its guestinfo", name)
	}
	if keys := apptest.PrivateKeys(t, ud); len(keys) > 0 {
		t.Errorf("%s's guestinfo handed it private keys %v", name, keys)
	}
	n := l.env.Datacenter.Node(name)
	if n == nil {
		t.Fatalf("no simulated node %s", name)
	}
	if keys := apptest.PrivateKeys(t, n.Userdata()); len(keys) > 0 {
		t.Errorf("%s booted with private keys %v", name, keys)
	}
	join := n.Spec().Kubeadm.Join
	if join == nil || join.ControlPlane == nil || len(join.ControlPlane.CertificateKey) != 2*pki.CertificateKeySize {
		t.Errorf("%s did not join as a control plane with a certificate key", name)
	}
	if last == nil || last[name] {
		t.Errorf("%s's guestinfo still carried its userdata at the watch's last look", name)
	}
	apptest.CheckKubeadmCertsGone(t, l.env, "rp", clusterID)
}
