package vsphere

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/sim"
)

func TestPowerOnIsIdempotent(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	info, _ := env.ensure(request("dev-cp-0"))

	for range 2 {
		if err := env.ops.PowerOn(ctx, env.c, info.Moref, "c1"); err != nil {
			t.Fatalf("PowerOn: %v", err)
		}
	}
	if got := env.vm(info.Moref).Runtime.PowerState; got != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("power state %s", got)
	}
	if n := env.faults.Calls(sim.KindVSpherePowerOn); n != 1 {
		t.Errorf("%d power-on calls, want 1", n)
	}
	// Reusing a running VM leaves it running and unchanged.
	again, created := env.ensure(request("dev-cp-0"))
	if created || again.PowerState != string(types.VirtualMachinePowerStatePoweredOn) {
		t.Errorf("EnsureVM on the running VM: created %v, %+v", created, again)
	}
}

func TestPowerOnRefusesForeignVM(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	foreign := env.plainClone("dev-cp-0", nil, nil)
	err := env.ops.PowerOn(context.Background(), env.c, foreign.Reference().Value, "c1")
	if !errors.Is(err, ErrVMNotOwned) {
		t.Fatalf("PowerOn of a foreign VM: %v, want ErrVMNotOwned", err)
	}
	if got := env.vm(foreign.Reference().Value).Runtime.PowerState; got != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("foreign VM is %s", got)
	}
	if err := env.ops.PowerOn(context.Background(), env.c, "vm-99999", "c1"); !errors.Is(err, ErrVMNotFound) {
		t.Errorf("PowerOn of a missing VM: %v, want ErrVMNotFound", err)
	}
}

func TestWaitForIP(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	info, _ := env.ensure(request("dev-cp-0"))

	// Powered off: no address will come.
	if _, err := WaitForIP(ctx, env.c, info.Moref); !errors.Is(err, ErrVMPoweredOff) {
		t.Fatalf("WaitForIP on a powered-off VM: %v, want ErrVMPoweredOff", err)
	}
	if err := env.ops.PowerOn(ctx, env.c, info.Moref, "c1"); err != nil {
		t.Fatal(err)
	}
	// No address yet: waits until the context ends.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := WaitForIP(short, env.c, info.Moref); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForIP without address: %v, want DeadlineExceeded", err)
	}

	type result struct {
		ip  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		ip, err := WaitForIP(ctx, env.c, info.Moref)
		done <- result{ip, err}
	}()
	// The guest reports a link-local address (ignored) and then its own.
	for _, ip := range []string{"169.254.10.1", "127.0.0.42"} {
		time.Sleep(50 * time.Millisecond)
		env.setIP(info.Moref, ip)
	}
	select {
	case r := <-done:
		if r.err != nil || r.ip != "127.0.0.42" {
			t.Fatalf("WaitForIP = %q, %v; want 127.0.0.42", r.ip, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForIP did not return")
	}
}

func TestDestroy(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	info, _ := env.ensure(request("dev-cp-0"))
	if err := env.ops.PowerOn(ctx, env.c, info.Moref, "c1"); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		if err := env.ops.Destroy(ctx, env.c, "dev-cp-0", "c1"); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
	}
	if n := env.countNamed("dev-cp-0"); n != 0 {
		t.Fatalf("%d VMs left", n)
	}
	if n := env.faults.Calls(sim.KindVSphereDestroy); n != 1 {
		t.Errorf("%d destroy calls, want 1", n)
	}

	// Never someone else's VM, nor one of another cluster.
	env.plainClone("dev-cp-1", nil, nil)
	env.plainClone("dev-cp-2", nil, map[string]string{MarkerKey: "c2"})
	for _, name := range []string{"dev-cp-1", "dev-cp-2"} {
		if err := env.ops.Destroy(ctx, env.c, name, "c1"); !errors.Is(err, ErrVMNotOwned) {
			t.Errorf("Destroy %s: %v, want ErrVMNotOwned", name, err)
		}
		if n := env.countNamed(name); n != 1 {
			t.Errorf("%s destroyed", name)
		}
	}
	// The VM of cluster c2 is c2's to destroy.
	if err := env.ops.Destroy(ctx, env.c, "dev-cp-2", "c2"); err != nil || env.countNamed("dev-cp-2") != 0 {
		t.Errorf("Destroy by its cluster: %v", err)
	}
}

func TestFindClusterVMs(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	var want []VMInfo
	for _, name := range []string{"a-w-1", "a-cp-0"} {
		info, _ := env.ensure(request(name))
		want = append(want, info)
	}
	other := request("b-cp-0")
	other.ClusterID = "c2"
	env.ensure(other)
	env.plainClone("a-w-2", nil, nil)
	env.plainClone("a-w-3", nil, map[string]string{MarkerKey: "c2"})

	c, rt := counted(env.c)
	got, err := FindClusterVMs(ctx, c, "c1")
	if err != nil {
		t.Fatal(err)
	}
	// One request for every VM, whatever their number: the field definition,
	// then the view's contents.
	if want := []string{"RetrievePropertiesEx", "CreateContainerView", "RetrievePropertiesEx", "DestroyView"}; !slices.Equal(rt.calls, want) {
		t.Errorf("round trips %v, want %v", rt.calls, want)
	}
	slices.SortFunc(want, func(a, b VMInfo) int { return strings.Compare(a.Name, b.Name) })
	if !slices.Equal(got, want) {
		t.Fatalf("FindClusterVMs(c1) =\n%+v\nwant\n%+v", got, want)
	}
	if got, err := FindClusterVMs(ctx, env.c, "nobody"); err != nil || len(got) != 0 {
		t.Errorf("FindClusterVMs(nobody) = %v, %v", got, err)
	}

	// The extraConfig marker alone identifies a VM (a clone whose custom
	// attribute was never set, or a vCenter without custom fields).
	marked := env.plainClone("a-w-4", nil, map[string]string{MarkerKey: "c1"})
	got, err = FindClusterVMs(ctx, env.c, "c1")
	if err != nil || len(got) != 3 || !slices.ContainsFunc(got, func(v VMInfo) bool { return v.Moref == marked.Reference().Value }) {
		t.Errorf("FindClusterVMs after marking a-w-4 in extraConfig: %+v, %v", got, err)
	}
}
