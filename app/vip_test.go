package app_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// TestControlPlaneVIPFailover provisions a cluster of three control planes: its
// endpoint is a virtual IP leased from its pool, which kubeadm, the API server
// certificates and the kubeconfig the service hands out use, and which kube-vip
// serves on the control planes. Powering off the VM of the VIP's holder (a power cut,
// as vSphere's power-off is) moves the VIP to another control plane and the API
// answers at the VIP again; a poller measures the gap. The old holder powers on again;
// a clean shutdown of the new holder then moves the VIP at once. Deleting the cluster
// releases the VIP's lease with the others.
func TestControlPlaneVIPFailover(t *testing.T) {
	t.Parallel() // its own datacenter, Temporal and database
	faults := sim.NewFaults()
	env := apptest.StartDatacenter(t, "78", faults)
	spec := apptest.ClusterSpec("vip", 3, 1)
	spec.Addons.VSphereCSI, spec.Addons.KubeSphere = nil, nil // not what this test is about
	watch := apptest.WatchUserdata(t, env)
	op := apptest.StartProvision(t, env, spec)
	op = env.WaitOperationFor(op.ID, apptest.ProvisionTimeout)
	watch.Stop()
	if op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s; steps %+v", op.State, op.Error, op.Steps)
	}
	env.CheckReplay("provision-vip", op)
	checkBootstrapDataPerNode(t, env, watch, spec)

	// The endpoint is a VIP of the pool that is no node's address.
	c := apptest.GetCluster(t, env, "vip")
	host, port, err := net.SplitHostPort(c.ControlPlaneEndpoint)
	if err != nil || port != "6443" {
		t.Fatalf("control_plane_endpoint %q: %v", c.ControlPlaneEndpoint, err)
	}
	vip := netip.MustParseAddr(host)
	if !netip.MustParsePrefix("127.78.0.0/24").Contains(vip) {
		t.Errorf("VIP %s is not in the pool's network", vip)
	}
	var cpIPs []string
	for _, n := range c.Nodes {
		if n.IP == host {
			t.Errorf("the endpoint %s is node %s's address", c.ControlPlaneEndpoint, n.Name)
		}
		if n.Role == domain.RoleNameControlPlane {
			cpIPs = append(cpIPs, n.IP)
		}
	}
	if len(cpIPs) != 3 {
		t.Fatalf("control planes %v", cpIPs)
	}
	checkVIPLease(t, env, c.ID, host)

	// The kubeconfig the service hands out points at the VIP; every API server's
	// certificate names it.
	cfg := apptest.RESTConfig(t, env, "vip")
	if cfg.Host != "https://"+c.ControlPlaneEndpoint {
		t.Errorf("kubeconfig server %s, want https://%s", cfg.Host, c.ControlPlaneEndpoint)
	}
	for _, ip := range cpIPs {
		checkCertNamesVIP(t, ip, vip)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	holder := vipHolder(t, cs)
	if !slices.ContainsFunc(c.Nodes, func(n domain.Node) bool { return n.Name == holder && n.Role == domain.RoleNameControlPlane }) {
		t.Fatalf("Lease plndr-cp-lock held by %q, not a control plane", holder)
	}

	// Poll the API at the VIP every 200 ms while the holder's power is cut (vSphere's
	// power-off): its Lease expires and another control plane takes the VIP.
	if err := faults.Add(sim.Fault{Kind: sim.KindNodePowerCut, VM: holder}); err != nil {
		t.Fatal(err)
	}
	next := failover(t, env, c.ID, cs, cfg, holder, "power cut")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil || len(nodes.Items) != 4 {
		t.Errorf("nodes through the VIP after the failover: %v", err)
	}

	// The old holder comes back (its kube-vip starts with its control plane again);
	// then the new holder shuts down cleanly: it gives the Lease up, and the VIP moves at
	// once.
	powerByHand(t, env, c.ID, holder, true)
	waitNodeReady(t, env, "vip", holder)
	failover(t, env, c.ID, cs, cfg, next, "guest shutdown")

	// Deleting the cluster releases the VIP with the nodes' addresses.
	r := env.Do("DELETE", "/api/v1/clusters/vip", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	var del struct{ Operation domain.Operation }
	r.JSON(t, &del)
	if d := env.WaitOperationFor(del.Operation.ID, 3*time.Minute); d.State != domain.OpSucceeded {
		t.Fatalf("delete = %+v", d)
	}
	if n := apptest.LeasesOf(t, env, c.ID); n != 0 {
		t.Errorf("%d leases left after the delete", n)
	}
}

// failover powers off the VM of holder, the VIP's holder, while a poller asks the API
// at the VIP every 200 ms, waits for another control plane to hold the VIP and the API
// to answer there, logs the longest gap and returns the new holder.
func failover(t *testing.T, env *apptest.Env, clusterID string, cs kubernetes.Interface, cfg *rest.Config, holder, how string) string {
	t.Helper()
	poll := startReadyzPoller(t, cfg)
	off := time.Now()
	powerByHand(t, env, clusterID, holder, false)
	var next string
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the VIP did not move off %s; Lease held by %q", how, holder, next)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		lease, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "plndr-cp-lock", metav1.GetOptions{})
		cancel()
		if err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != holder && *lease.Spec.HolderIdentity != "" {
			next = *lease.Spec.HolderIdentity
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	moved := time.Since(off)
	gap := poll.stopAfterSuccess(t)
	t.Logf("%s of the VIP's holder %s: %s holds the VIP after %s; longest gap of /readyz at the VIP (polled every 200 ms): %s",
		how, holder, next, moved.Round(time.Millisecond), gap.Round(time.Millisecond))
	if gap > 30*time.Second {
		t.Errorf("%s: the API at the VIP was gone for %s", how, gap)
	}
	return next
}

// checkVIPLease checks that the pool lists the VIP leased to the cluster as its VIP.
func checkVIPLease(t *testing.T, env *apptest.Env, clusterID, vip string) {
	t.Helper()
	var pool domain.IPPool
	r := env.Do("GET", "/api/v1/ippools/lab", env.AdminToken, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET ippool: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &pool)
	for _, l := range pool.Leases {
		if l.Address == vip {
			if l.Owner != domain.VIPLeaseOwner("vip") {
				t.Errorf("VIP %s leased to %q", vip, l.Owner)
			}
			return
		}
	}
	t.Errorf("VIP %s is not leased in pool lab: %+v", vip, pool.Leases)
}

// checkCertNamesVIP checks that the API server on ip serves a certificate naming vip.
func checkCertNamesVIP(t *testing.T, ip string, vip netip.Addr) {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", net.JoinHostPort(ip, "6443"),
		&tls.Config{InsecureSkipVerify: true}) // only the certificate's names are read
	if err != nil {
		t.Fatalf("API server on %s: %v", ip, err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	for _, a := range leaf.IPAddresses {
		if a.Equal(vip.AsSlice()) {
			return
		}
	}
	t.Errorf("API server certificate on %s names %v, not the VIP %s", ip, leaf.IPAddresses, vip)
}

// vipHolder is the node the Lease plndr-cp-lock names.
func vipHolder(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	lease, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "plndr-cp-lock", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Lease kube-system/plndr-cp-lock: %v", err)
	}
	if lease.Spec.HolderIdentity == nil {
		t.Fatal("Lease plndr-cp-lock has no holder")
	}
	return *lease.Spec.HolderIdentity
}

// readyzPoller asks /readyz at the kubeconfig's server every 200 ms and keeps the
// longest time between two answers.
type readyzPoller struct {
	mu      sync.Mutex
	last    time.Time
	longest time.Duration
	after   chan struct{} // closed at the first answer after stopAfterSuccess asks
	want    bool
	cancel  context.CancelFunc
	done    chan struct{}
}

func startReadyzPoller(t *testing.T, cfg *rest.Config) *readyzPoller {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	p := &readyzPoller{last: time.Now(), cancel: cancel, done: make(chan struct{}), after: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			_, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
			now := time.Now()
			if err == nil {
				p.mu.Lock()
				p.longest = max(p.longest, now.Sub(p.last))
				p.last = now
				if p.want {
					p.want = false
					close(p.after)
				}
				p.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// stopAfterSuccess waits for the next answer, stops polling and returns the longest
// gap.
func (p *readyzPoller) stopAfterSuccess(t *testing.T) time.Duration {
	t.Helper()
	p.mu.Lock()
	p.want = true
	p.mu.Unlock()
	select {
	case <-p.after:
	case <-time.After(time.Minute):
		t.Error("the API at the VIP did not answer within a minute")
	}
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.longest
}
