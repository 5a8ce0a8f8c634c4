package vsphere

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/inventory/inventorytest"
	"github.com/clusterwright/clusterwright/sim"
)

// TestSessionsOneLoginForConcurrentVMActivities runs the VM activities of
// several clusters at once on one vCenter registered in the real inventory
// and checks that the worker's pool logged in to it exactly once, and that
// the Prometheus counter says so.
func TestSessionsOneLoginForConcurrentVMActivities(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{VMs: -1})
	store := inventorytest.NewStore(t)
	id := registerVCenter(t, store, "vc-main", vc)
	clusters := benchClusters(4, 3)
	sessions := newTestSessions(t)
	a := &Activities{Sessions: sessions, Store: store, Budget: NewTaskBudget(0), GuestInfo: renderGuestInfo(t, clusters)}
	ctx := context.Background()

	var wg sync.WaitGroup
	for _, c := range clusters {
		for _, name := range c.vms() {
			wg.Go(func() {
				spec := VMSpec{
					VCenterID: id, Placement: defaultPlacement(), Name: name, ClusterID: c.id,
					CPUs: nodeShape.CPUs, MemoryMiB: nodeShape.MemoryMiB, DiskGiB: nodeShape.DiskGiB,
				}
				info, err := a.EnsureVM(ctx, spec)
				if err != nil {
					t.Errorf("EnsureVM %s: %v", name, err)
					return
				}
				// Half of the power-ons find the VM by name, half by moref.
				ref := VMRef{VCenterID: id, ClusterID: c.id, Name: name}
				if len(name)%2 == 0 {
					ref.Moref = info.Moref
				}
				if err := a.PowerOnVM(ctx, ref); err != nil {
					t.Errorf("PowerOnVM %s: %v", name, err)
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	for _, c := range clusters {
		vms, err := a.ListClusterVMs(ctx, ClusterRef{VCenterID: id, ClusterID: c.id})
		if err != nil {
			t.Fatal(err)
		}
		if len(vms) != len(c.vms()) {
			t.Fatalf("cluster %s has %d VMs, want %d", c.id, len(vms), len(c.vms()))
		}
		for _, vm := range vms {
			if vm.PowerState != string(types.VirtualMachinePowerStatePoweredOn) {
				t.Errorf("VM %s is %s, want powered on", vm.Name, vm.PowerState)
			}
		}
	}
	if got := sessions.Logins(); got != 1 {
		t.Errorf("%d logins for %d concurrent VM activities, want 1", got, 2*4*4)
	}
	if got := sessions.LoginsOf(id); got != 1 {
		t.Errorf("%d logins to vCenter %s, want 1", got, id)
	}
	if got := loginCounter(t, sessions, id); got != 1 {
		t.Errorf("clusterwright_vcenter_logins_total{vcenter=%q} = %v, want 1", id, got)
	}
}

// TestSessionsLoginsOfCountsPerVCenter checks that logins are counted per
// vCenter key, re-logins included.
func TestSessionsLoginsOfCountsPerVCenter(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{})
	s := NewSessions(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { s.Close(context.Background()) })
	ctx := context.Background()

	c, err := s.Client(ctx, "a", vc.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client(ctx, "b", vc.Credentials()); err != nil {
		t.Fatal(err)
	}
	// vCenter ends session "a": the next call logs in again.
	us, err := c.SessionManager.UserSession(ctx)
	if err != nil || us == nil {
		t.Fatalf("user session: %v, %v", us, err)
	}
	if err := adminClient(t, vc).SessionManager.TerminateSession(ctx, []string{us.Key}); err != nil {
		t.Fatal(err)
	}
	if _, err := CollectInventory(ctx, c.Client); err != nil {
		t.Fatalf("call after the session ended: %v", err)
	}
	for key, want := range map[string]int64{"a": 2, "b": 1, "c": 0} {
		if got := s.LoginsOf(key); got != want {
			t.Errorf("LoginsOf(%q) = %d, want %d", key, got, want)
		}
		if key != "c" {
			if got := loginCounter(t, s, key); got != float64(want) {
				t.Errorf("counter of %q = %v, want %d", key, got, want)
			}
		}
	}
	if s.Logins() != 3 {
		t.Errorf("Logins() = %d, want 3", s.Logins())
	}
}

// loginCounter gathers s through a Prometheus registry and returns its
// counter for vCenter key.
func loginCounter(t *testing.T, s *Sessions, key string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(s); err != nil {
		t.Fatalf("register sessions collector: %v", err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "clusterwright_vcenter_logins_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "vcenter" && l.GetValue() == key {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no clusterwright_vcenter_logins_total for vCenter %q in %v", key, families)
	return 0
}
