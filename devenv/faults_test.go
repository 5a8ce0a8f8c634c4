package devenv_test

import (
	"bytes"
	"context"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/sim"
)

// lockedBuffer collects what the standard logger writes, from any goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDevFaultsAtRunTime starts `clusterwright dev` and changes the simulator's faults
// while it runs, as the README shows: a rule added through POST /dev/faults makes the
// simulated vCenter fail a clone of the VM it names and is listed with the call it
// failed; after DELETE /dev/faults the same clone succeeds. Starting dev logs no TLS
// handshake error (the standard logger, where the simulator's HTTPS server reports them).
func TestDevFaultsAtRunTime(t *testing.T) {
	var stdlog lockedBuffer
	prev := log.Writer()
	log.SetOutput(&stdlog)
	t.Cleanup(func() { log.SetOutput(prev) })

	dev := startDev(t, stateDir(t))
	defer dev.stop(t)
	if s := stdlog.String(); strings.Contains(s, "TLS handshake error") {
		t.Errorf("starting dev logged TLS handshake errors:\n%s", s)
	}

	var list api.DevFaultList
	if status := dev.call(t, "GET", "/dev/faults", "", &list); status != http.StatusOK || len(list.Faults) != 0 ||
		!slices.Equal(list.Kinds, sim.FaultKinds()) {
		t.Fatalf("GET /dev/faults = %d %+v", status, list)
	}
	var added api.DevFault
	if status := dev.call(t, "POST", "/dev/faults", `{"fault":"vsphere.clone:vm=faulty"}`, &added); status != http.StatusCreated ||
		added.Fault != "vsphere.clone:vm=faulty" {
		t.Fatalf("POST /dev/faults = %d %+v", status, added)
	}
	if status, body := dev.raw(t, "POST", "/dev/faults", `{"fault":"vsphere.clone:zero"}`); status != http.StatusBadRequest ||
		!strings.Contains(string(body), `"field":"fault"`) {
		t.Fatalf("POST a bad fault = %d %s", status, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vc := dev.vcenterClient(ctx, t)
	if err := cloneTemplate(ctx, vc, "faulty"); err == nil {
		t.Fatal("the clone succeeded with a fault on it")
	}
	dev.call(t, "GET", "/dev/faults", "", &list)
	if !slices.Equal(list.Faults, []string{"vsphere.clone:vm=faulty"}) || len(list.Fired) != 1 || !strings.Contains(list.Fired[0], `"faulty"`) {
		t.Fatalf("after the failed clone: %+v", list)
	}

	if status, body := dev.raw(t, "DELETE", "/dev/faults", ""); status != http.StatusNoContent {
		t.Fatalf("DELETE /dev/faults = %d %s", status, body)
	}
	dev.call(t, "GET", "/dev/faults", "", &list)
	if len(list.Faults) != 0 || len(list.Fired) != 1 {
		t.Fatalf("after DELETE: %+v", list)
	}
	if err := cloneTemplate(ctx, vc, "faulty"); err != nil {
		t.Fatalf("the clone failed after the faults were cleared: %v", err)
	}
}

// vcenterClient logs in to dev's simulated vCenter as govc would with the env file.
func (p *devProcess) vcenterClient(ctx context.Context, t *testing.T) *govmomi.Client {
	t.Helper()
	u, err := url.Parse(p.env["VSPHERE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(p.env["VSPHERE_USERNAME"], p.env["VSPHERE_PASSWORD"])
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatalf("log in to the simulated vCenter: %v", err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

// cloneTemplate clones the default template into a powered-off VM named name.
func cloneTemplate(ctx context.Context, c *govmomi.Client, name string) error {
	finder := find.NewFinder(c.Client)
	dc, err := finder.Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	tmpl, err := finder.VirtualMachine(ctx, sim.DefaultTemplate)
	if err != nil {
		return err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	cluster, err := finder.ClusterComputeResource(ctx, sim.DefaultCluster)
	if err != nil {
		return err
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return err
	}
	poolRef := pool.Reference()
	task, err := tmpl.Clone(ctx, folders.VmFolder, name, types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: &poolRef}})
	if err != nil {
		return err
	}
	_, err = task.WaitForResult(ctx)
	return err
}
