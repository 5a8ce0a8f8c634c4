package vsphere

import (
	"context"
	"errors"
	"testing"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

func TestResolvePlacement(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{Pools: 1})
	ctx := context.Background()

	pl, err := ResolvePlacement(ctx, env.c, defaultPlacement())
	if err != nil {
		t.Fatal(err)
	}
	if pl.ResourcePool.InventoryPath != "/DC0/host/DC0_C0/Resources" || pl.Folder.InventoryPath != "/DC0/vm" ||
		pl.Datastore.Name() != sim.DefaultDatastore || pl.Network.Reference().Type != "Network" || pl.Template.Name() != sim.DefaultTemplate {
		t.Errorf("placement: pool %s folder %s datastore %s network %v template %s",
			pl.ResourcePool.InventoryPath, pl.Folder.InventoryPath, pl.Datastore.Name(), pl.Network.Reference(), pl.Template.Name())
	}

	// Named pool and folder, relative or as full inventory paths; a DVPG.
	if _, err := pl.Folder.CreateFolder(ctx, "k8s"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []domain.Placement{
		{ResourcePool: "DC0_C0_RP1", Folder: "k8s", Network: "DC0_DVPG0"},
		{ResourcePool: "/DC0/host/DC0_C0/Resources/DC0_C0_RP1", Folder: "/DC0/vm/k8s", Network: "DC0_DVPG0"},
	} {
		in := defaultPlacement()
		in.ResourcePool, in.Folder, in.Network = p.ResourcePool, p.Folder, p.Network
		pl, err := ResolvePlacement(ctx, env.c, in)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if pl.ResourcePool.InventoryPath != "/DC0/host/DC0_C0/Resources/DC0_C0_RP1" || pl.Folder.InventoryPath != "/DC0/vm/k8s" ||
			pl.Network.Reference().Type != "DistributedVirtualPortgroup" {
			t.Errorf("%+v: pool %s folder %s network %v", p, pl.ResourcePool.InventoryPath, pl.Folder.InventoryPath, pl.Network.Reference())
		}
	}
}

func TestResolvePlacementErrors(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	// Two templates of one name in two folders.
	vmFolder, err := env.finder().Folder(ctx, "/DC0/vm")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		f, err := vmFolder.CreateFolder(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := env.finder().VirtualMachine(ctx, sim.DefaultTemplate)
		if err != nil {
			t.Fatal(err)
		}
		pool := env.rootPool().Reference()
		env.waitTask(tmpl.Clone(ctx, f, "twin", types.VirtualMachineCloneSpec{Template: true, Location: types.VirtualMachineRelocateSpec{Pool: &pool}}))
	}

	tests := []struct {
		mutate   func(*domain.Placement)
		field    string
		notFound bool
	}{
		{func(p *domain.Placement) { p.Datacenter = "DC9" }, "placement.datacenter", true},
		{func(p *domain.Placement) { p.ComputeCluster = "C9" }, "placement.compute_cluster", true},
		{func(p *domain.Placement) { p.ResourcePool = "nope" }, "placement.resource_pool", true},
		{func(p *domain.Placement) { p.ResourcePool = "/DC0/host/DC0_H0/Resources" }, "placement.resource_pool", false},
		{func(p *domain.Placement) { p.Folder = "nope" }, "placement.folder", true},
		{func(p *domain.Placement) { p.Datastore = "nope" }, "placement.datastore", true},
		{func(p *domain.Placement) { p.Network = "nope" }, "placement.network", true},
		{func(p *domain.Placement) { p.Template = "nope" }, "placement.template", true},
		{func(p *domain.Placement) { p.Template = "DC0_C0_RP0_VM0" }, "placement.template", false}, // a VM, not a template
		{func(p *domain.Placement) { p.Template = "twin" }, "placement.template", false},           // ambiguous
		{func(p *domain.Placement) { p.Network = "" }, "placement.network", false},
	}
	for _, tt := range tests {
		p := defaultPlacement()
		tt.mutate(&p)
		_, err := ResolvePlacement(ctx, env.c, p)
		var perr *PlacementError
		if !errors.As(err, &perr) {
			t.Errorf("%s: error %v is not a PlacementError", tt.field, err)
			continue
		}
		t.Logf("%v", err)
		if perr.Field != tt.field || perr.NotFound != tt.notFound || errors.Is(err, ErrPlacementNotFound) != tt.notFound {
			t.Errorf("error %v: field %s not found %v, want %s %v", err, perr.Field, perr.NotFound, tt.field, tt.notFound)
		}
		if tt.notFound {
			appError(t, vmActivityError(err, nil), ErrTypePlacementNotFound, false)
		} else {
			appError(t, vmActivityError(err, nil), ErrTypePlacementInvalid, false)
		}
	}
}
