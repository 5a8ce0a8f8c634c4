package sim

import (
	"testing"
	"time"

	"github.com/vmware/govmomi/object"

	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// A control plane's VM is powered off and destroyed, and at once a VM of a new cluster
// with the same host name and address is cloned and powered on (create, delete, create
// again). vCenter has the first VM gone while its node is still stopping: the new node
// boots once it has stopped, rather than finding etcd's ports taken, and with a blank
// disk (the new cluster's CA answers).
func TestDatacenterRecreateAtSameAddress(t *testing.T) {
	_, vc := startDatacenter(t, nil)
	const name, ip = "again-cp-0", "127.20.6.10"
	for boot := 1; boot <= 2; boot++ {
		c, err := nodetest.NewCluster("again", dcVersion, ip)
		if err != nil {
			t.Fatal(err)
		}
		vm := cloneNodeVM(t, vc, c, name, c.InitNode(name, ip))
		powerOn(t, vm)
		client, err := c.AdminClient(c.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if err := nodetest.WaitReady(t.Context(), client, 2*time.Minute, dcVersion, name); err != nil {
			t.Fatalf("cluster %d: %v", boot, err)
		}
		powerOffAndDestroy(t, vm)
	}
}

// powerOffAndDestroy powers vm off and destroys it, as deleting a cluster does.
func powerOffAndDestroy(t *testing.T, vm *object.VirtualMachine) {
	t.Helper()
	for _, start := range []func() (*object.Task, error){
		func() (*object.Task, error) { return vm.PowerOff(t.Context()) },
		func() (*object.Task, error) { return vm.Destroy(t.Context()) },
	} {
		task, err := start()
		if err == nil {
			err = task.Wait(t.Context())
		}
		if err != nil {
			t.Fatalf("power off and destroy %s: %v", vm.Reference().Value, err)
		}
	}
}
