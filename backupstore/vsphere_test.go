package backupstore_test

import (
	"net/url"
	"testing"

	"github.com/vmware/govmomi"

	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/sim"
)

// TestVSphere runs the target tests on a datastore folder of the simulated
// vCenter (vcsim), through its datastore HTTP endpoint and file manager.
func TestVSphere(t *testing.T) {
	ctx := t.Context()
	vc, err := sim.StartVCenter(sim.VCenterOptions{VMs: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	u := vc.URL()
	u.User = url.UserPassword(vc.Username, vc.Password)
	client, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	target, err := backupstore.NewVSphere(ctx, backupstore.VSphereConfig{
		Client: client.Client, Datacenter: sim.DefaultDatacenter, Datastore: sim.DefaultDatastore,
		Folder: "clusterwright-backups", SpoolDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	testTarget(t, target, 3<<20)
	if want := sim.DefaultDatacenter + " [" + sim.DefaultDatastore + "] clusterwright-backups"; target.Location() != want {
		t.Errorf("location %q, want %q", target.Location(), want)
	}
}
