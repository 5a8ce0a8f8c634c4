package backupstore_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"

	"github.com/clusterwright/clusterwright/backupstore"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// TestLazyVSphere: a datastore folder target made before its vCenter is reachable
// works once Connect gives a client, at the same Location as the eager target; a
// Connect error fails the operation with it; a new client (credentials changed) is
// used from the next operation on.
func TestLazyVSphere(t *testing.T) {
	ctx := t.Context()
	vc, err := sim.StartVCenter(sim.VCenterOptions{VMs: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vc.Close)
	login := func() *vim25.Client {
		u := vc.URL()
		u.User = url.UserPassword(vc.Username, vc.Password)
		c, err := govmomi.NewClient(ctx, u, true)
		if err != nil {
			t.Fatal(err)
		}
		return c.Client
	}
	var current atomic.Pointer[vim25.Client]
	notYet := errors.New("no vCenter registered yet")
	var connects atomic.Int32
	connect := func(context.Context) (*vim25.Client, error) {
		connects.Add(1)
		if c := current.Load(); c != nil {
			return c, nil
		}
		return nil, notYet
	}
	cfg := backupstore.VSphereConfig{Datacenter: sim.DefaultDatacenter, Datastore: sim.DefaultDatastore,
		Folder: "/clusterwright-backups/", SpoolDir: t.TempDir()}
	if _, err := backupstore.NewLazyVSphere(cfg, nil); err == nil {
		t.Error("a lazy target without Connect")
	}
	if _, err := backupstore.NewLazyVSphere(backupstore.VSphereConfig{Datacenter: "DC0", Datastore: "ds", Folder: "../up"}, connect); err == nil {
		t.Error("a lazy target in folder ../up")
	}
	lazy, err := backupstore.NewLazyVSphere(cfg, connect)
	if err != nil {
		t.Fatal(err)
	}
	want := sim.DefaultDatacenter + " [" + sim.DefaultDatastore + "] clusterwright-backups"
	if lazy.Kind() != domain.TargetVSphere || lazy.Location() != want || connects.Load() != 0 {
		t.Fatalf("kind %s, location %q (want %q), %d connects before any operation", lazy.Kind(), lazy.Location(), want, connects.Load())
	}
	if _, err := lazy.List(ctx, ""); !errors.Is(err, notYet) || !strings.Contains(err.Error(), want) {
		t.Fatalf("list before the vCenter is there: %v", err)
	}

	current.Store(login())
	testTarget(t, lazy, 1<<20)
	cfg.Client = current.Load()
	eager, err := backupstore.NewVSphere(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if eager.Location() != lazy.Location() {
		t.Errorf("lazy location %q, eager %q", lazy.Location(), eager.Location())
	}

	// Another client, the old one logged out: the next operation uses the new one.
	if _, err := lazy.Put(ctx, "c3/b5", strings.NewReader("first")); err != nil {
		t.Fatal(err)
	}
	old := current.Load()
	current.Store(login())
	if err := session.NewManager(old).Logout(ctx); err != nil {
		t.Fatal(err)
	}
	list(t, lazy, "c3/", "c3/b5")
	if got := get(t, lazy, "c3/b5"); string(got) != "first" {
		t.Errorf("get with the new client = %q", got)
	}
}
