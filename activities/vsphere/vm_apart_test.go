package vsphere

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

// clusterHosts returns the hosts of the default compute cluster, by name.
func (e *vmEnv) clusterHosts() []mo.HostSystem {
	e.t.Helper()
	ctx := context.Background()
	cluster, err := e.finder().ClusterComputeResource(ctx, sim.DefaultCluster)
	if err != nil {
		e.t.Fatal(err)
	}
	hosts, err := cluster.Hosts(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	refs := make([]types.ManagedObjectReference, 0, len(hosts))
	for _, h := range hosts {
		refs = append(refs, h.Reference())
	}
	var out []mo.HostSystem
	if err := property.DefaultCollector(e.c).Retrieve(ctx, refs, []string{"name", "runtime"}, &out); err != nil {
		e.t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b mo.HostSystem) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// relocate moves a VM to host, as someone in the vSphere client would.
func (e *vmEnv) relocate(moref string, host types.ManagedObjectReference) {
	e.t.Helper()
	vm := object.NewVirtualMachine(e.c, vmRef(moref))
	e.waitTask(vm.Relocate(context.Background(), types.VirtualMachineRelocateSpec{Host: &host}, types.VirtualMachineMovePriorityDefaultPriority))
}

// hostOf reads the host a VM runs on.
func (e *vmEnv) hostOf(moref string) types.ManagedObjectReference {
	e.t.Helper()
	vm := e.vm(moref, "runtime.host")
	return *vm.Runtime.Host
}

// clusterVMs makes n VMs of cluster c1 named gw-<i>, all on host.
func (e *vmEnv) clusterVMs(n int, host types.ManagedObjectReference) []VMInfo {
	e.t.Helper()
	var out []VMInfo
	for i := range n {
		info, _ := e.ensure(request("gw-" + string(rune('0'+i))))
		e.relocate(info.Moref, host)
		out = append(out, info)
	}
	return out
}

func group(vms ...VMID) VMGroup {
	return VMGroup{VCenterID: "vc1", ClusterID: "c1", Placement: defaultPlacement(), VMs: vms}
}

func TestSimulatedClusterHasThreeHosts(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	hosts := env.clusterHosts()
	if len(hosts) != 3 {
		t.Fatalf("%s has %d hosts, want 3", sim.DefaultCluster, len(hosts))
	}
	for _, h := range hosts {
		if h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected || h.Runtime.InMaintenanceMode {
			t.Errorf("host %s: %s, maintenance %v", h.Name, h.Runtime.ConnectionState, h.Runtime.InMaintenanceMode)
		}
	}
}

func TestEnsureApartMovesVMsSharingAHost(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	hosts := env.clusterHosts()
	vms := env.clusterVMs(3, hosts[1].Self)
	// One runs: its move is a vMotion; the others are cold migrations.
	if err := env.ops.PowerOn(ctx, env.c, vms[2].Moref, "c1"); err != nil {
		t.Fatal(err)
	}
	g := group(VMID{Name: "gw-0"}, VMID{Moref: vms[1].Moref}, VMID{Name: "gw-2"}, VMID{Name: "gw-0"})

	res, err := env.ops.EnsureApart(ctx, env.c, g)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("result: %+v", res)
	if !slices.Equal(res.Moved, []string{"gw-1", "gw-2"}) {
		t.Errorf("moved %v, want gw-1 and gw-2 (gw-0, first by name, stays)", res.Moved)
	}
	seen := map[types.ManagedObjectReference]string{}
	for i, vm := range vms {
		h := env.hostOf(vm.Moref)
		if other, ok := seen[h]; ok {
			t.Errorf("%s and %s share host %s", vm.Name, other, h.Value)
		}
		seen[h] = vm.Name
		if len(res.Hosts) != 3 || res.Hosts[i].VM != vm.Name || res.Hosts[i].HostMoref != h.Value || res.Hosts[i].Host == "" {
			t.Errorf("result says %+v, vCenter says %s on %s", res.Hosts, vm.Name, h.Value)
		}
	}
	if h := env.hostOf(vms[0].Moref); h != hosts[1].Self {
		t.Errorf("gw-0 moved to %s; it was alone once the others left", h.Value)
	}

	again, err := env.ops.EnsureApart(ctx, env.c, g)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Moved) != 0 || !slices.Equal(again.Hosts, res.Hosts) {
		t.Errorf("second call: %+v, want nothing moved and %+v", again, res.Hosts)
	}
}

func TestEnsureApartNotEnoughHosts(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	a := newVMActivities(env)
	hosts := env.clusterHosts()
	vms := env.clusterVMs(4, hosts[0].Self)
	ids := make([]VMID, 0, len(vms))
	for _, vm := range vms {
		ids = append(ids, VMID{Name: vm.Name})
	}

	_, err := a.EnsureVMsApart(ctx, group(ids...))
	appError(t, err, ErrTypeNotEnoughHosts, false)
	t.Logf("4 VMs on 3 hosts: %v", err)

	// Three VMs, but one of the three hosts is in maintenance mode.
	host := object.NewHostSystem(env.c, hosts[2].Self)
	env.waitTask(host.EnterMaintenanceMode(ctx, 0, false, nil))
	_, err = env.ops.EnsureApart(ctx, env.c, group(ids[:3]...))
	if !errors.Is(err, ErrNotEnoughHosts) {
		t.Fatalf("3 VMs on 2 usable hosts: %v, want ErrNotEnoughHosts", err)
	}
	t.Logf("3 VMs, a host in maintenance: %v", err)
	for _, vm := range vms {
		if h := env.hostOf(vm.Moref); h != hosts[0].Self {
			t.Errorf("%s moved to %s although the call failed", vm.Name, h.Value)
		}
	}

	// Two VMs fit on the two usable hosts; the host in maintenance is no target.
	res, err := env.ops.EnsureApart(ctx, env.c, group(ids[:2]...))
	if err != nil {
		t.Fatal(err)
	}
	if h := env.hostOf(vms[1].Moref); h != hosts[1].Self {
		t.Errorf("gw-1 went to %s, want the only other usable host %s (%+v)", h.Value, hosts[1].Name, res)
	}
}

func TestEnsureApartRefusesOthersVMs(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	a := newVMActivities(env)
	ours, _ := env.ensure(request("gw-0"))
	foreign := env.plainClone("foreign", nil, nil)

	_, err := a.EnsureVMsApart(ctx, group(VMID{Moref: ours.Moref}, VMID{Moref: foreign.Reference().Value}))
	appError(t, err, ErrTypeVMNotOwned, false)
	_, err = a.EnsureVMsApart(ctx, group(VMID{Moref: ours.Moref}, VMID{Name: "foreign"}))
	appError(t, err, ErrTypeVMNotFound, false)
	_, err = a.EnsureVMsApart(ctx, group(VMID{Moref: ours.Moref}, VMID{Moref: "vm-999999"}))
	appError(t, err, ErrTypeVMNotFound, false)
	_, err = a.EnsureVMsApart(ctx, group(VMID{}))
	appError(t, err, ErrTypeInvalidVMRequest, false)
	bad := group(VMID{Moref: ours.Moref})
	bad.Placement.ComputeCluster = "no-such-cluster"
	_, err = a.EnsureVMsApart(ctx, bad)
	appError(t, err, ErrTypePlacementNotFound, false)
}

// TestPlanApart covers the choice of targets without vCenter: the first VM
// by name stays, the others go to free hosts with the fewest VMs, and only
// to hosts that mount their datastores.
func TestPlanApart(t *testing.T) {
	ref := func(typ, v string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: typ, Value: v}
	}
	ds1, ds2 := ref("Datastore", "ds-1"), ref("Datastore", "ds-2")
	h := func(name string, vms int, unusable string, ds ...types.ManagedObjectReference) esxHost {
		return esxHost{ref: ref("HostSystem", name), name: name, vms: vms, unusable: unusable, datastores: ds}
	}
	vm := func(name, host string, ds ...types.ManagedObjectReference) vmRecord {
		return vmRecord{ref: ref("VirtualMachine", name), name: name, host: ref("HostSystem", host), datastores: ds}
	}
	st := clusterState{hosts: []esxHost{
		h("a", 5, "", ds1, ds2), h("b", 9, "", ds1, ds2), h("c", 1, "", ds2), h("d", 0, "host is disconnected", ds1, ds2), h("e", 7, "", ds1),
	}}
	moves, err := planApart([]vmRecord{vm("x", "a", ds1), vm("y", "a", ds1), vm("z", "a", ds2)}, st, "C")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range moves {
		got = append(got, m.vm.name+"->"+m.to.name)
	}
	// y needs ds-1: e (7 VMs) before b (9); z needs ds-2: c (1 VM).
	if want := []string{"y->e", "z->c"}; !slices.Equal(got, want) {
		t.Errorf("moves %v, want %v", got, want)
	}
	if _, err := planApart([]vmRecord{vm("x", "a", ds2), vm("y", "a", ds2), vm("z", "a", ds2)}, st, "C"); err != nil {
		t.Errorf("ds-2 is on a, b, c: %v", err)
	}
	_, err = planApart([]vmRecord{vm("x", "a", ds2), vm("y", "a", ds2), vm("z", "a", ds2), vm("w", "a", ds2)}, st, "C")
	if !errors.Is(err, ErrNotEnoughHosts) {
		t.Errorf("4 VMs needing ds-2, which 3 usable hosts mount: %v, want ErrNotEnoughHosts", err)
	}
	if _, err := planApart([]vmRecord{vm("x", "elsewhere")}, st, "C"); !errors.Is(err, ErrInvalidVMRequest) {
		t.Errorf("VM outside the cluster: %v, want ErrInvalidVMRequest", err)
	}
}
