package vsphere

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/vmware/govmomi/object"

	"github.com/clusterwright/clusterwright/sim"
)

func TestLookupCachePlacementIsCheckedInOneRoundTrip(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	c, rt := counted(env.c)
	ctx := context.Background()
	var lc LookupCache

	first, backing, err := lc.Placement(ctx, c, defaultPlacement())
	if err != nil {
		t.Fatal(err)
	}
	resolveTrips := rt.total.Load()
	second, backing2, err := lc.Placement(ctx, c, defaultPlacement())
	if err != nil {
		t.Fatal(err)
	}
	if n := rt.total.Load() - resolveTrips; n != 1 {
		t.Errorf("a remembered placement took %d round trips, want 1 (resolving took %d)", n, resolveTrips)
	}
	if first.Template.Reference() != second.Template.Reference() || first.Datastore.Reference() != second.Datastore.Reference() ||
		first.Folder.InventoryPath != second.Folder.InventoryPath || backing != backing2 {
		t.Errorf("remembered placement differs: %+v vs %+v", first, second)
	}
	if second.template.Config == nil || second.template.Config.Hardware.NumCPU != sim.TemplateCPUs {
		t.Errorf("template properties not read: %+v", second.template.Config)
	}
	if &first.template == &second.template {
		t.Error("callers share the template's properties")
	}
}

func TestLookupCachePlacementNoticesTemplateChanges(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()
	var lc LookupCache
	p := defaultPlacement()
	p.Template = "image"

	old := env.createTemplate("image", "vmx-19")
	if _, _, err := lc.Placement(ctx, env.c, p); err != nil {
		t.Fatal(err)
	}

	// An image pipeline builds a new template and swaps the names.
	replacement := env.createTemplate("image-new", "vmx-19")
	env.waitTask(old.Rename(ctx, "image-old"))
	env.waitTask(replacement.Rename(ctx, "image"))
	pl, _, err := lc.Placement(ctx, env.c, p)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Template.Reference() != replacement.Reference() {
		t.Errorf("template %v after the rename, want the new %v", pl.Template.Reference(), replacement.Reference())
	}

	// The template is destroyed: not found, as without the cache.
	env.waitTask(replacement.Destroy(ctx))
	_, _, err = lc.Placement(ctx, env.c, p)
	var pe *PlacementError
	if !errors.As(err, &pe) || pe.Field != "placement.template" || !errors.Is(err, ErrPlacementNotFound) {
		t.Fatalf("after the template was destroyed: %v, want placement.template not found", err)
	}

	// A template turned into a VM is refused, as without the cache.
	p.Template = "image-old"
	if _, _, err := lc.Placement(ctx, env.c, p); err != nil {
		t.Fatal(err)
	}
	pool := env.rootPool()
	if err := old.MarkAsVirtualMachine(ctx, *pool, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = lc.Placement(ctx, env.c, p)
	if !errors.As(err, &pe) || pe.Field != "placement.template" || errors.Is(err, ErrPlacementNotFound) {
		t.Fatalf("after the template became a VM: %v, want placement.template invalid", err)
	}
}

func TestLookupCacheConcurrentMissesResolveOnce(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	ctx := context.Background()

	// The round trips of one resolution.
	c1, rt1 := counted(env.c)
	if _, _, err := (&LookupCache{}).Placement(ctx, c1, defaultPlacement()); err != nil {
		t.Fatal(err)
	}
	one := rt1.total.Load()

	c, rt := counted(env.c)
	var lc LookupCache
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, _, err := lc.Placement(ctx, c, defaultPlacement()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// One resolution, plus at most one check per caller that came after it.
	if got := rt.total.Load(); got > one+n {
		t.Errorf("%d concurrent first calls made %d round trips; one resolution takes %d", n, got, one)
	}
}

func TestLookupCacheMarkerField(t *testing.T) {
	env := newVMEnv(t, sim.VCenterOptions{})
	c, rt := counted(env.c)
	ctx := context.Background()
	var lc LookupCache

	// Not defined yet, and not asked to: not remembered.
	if f, err := lc.MarkerField(ctx, c, false, env.logger); err != nil || f.ok {
		t.Fatalf("before it is defined: %+v, %v", f, err)
	}
	f, err := lc.MarkerField(ctx, c, true, env.logger)
	if err != nil || !f.ok {
		t.Fatalf("define: %+v, %v", f, err)
	}
	before := rt.total.Load()
	if again, err := lc.MarkerField(ctx, c, false, env.logger); err != nil || again != f {
		t.Fatalf("remembered field: %+v, %v; want %+v", again, err, f)
	}
	if n := rt.total.Load() - before; n != 0 {
		t.Errorf("a remembered field took %d round trips", n)
	}

	// Removed behind the cache's back: marking a VM fails once, and the
	// field is defined again on the next call.
	m, err := object.GetCustomFieldsManager(env.c)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Remove(ctx, f.key); err != nil {
		t.Fatal(err)
	}
	ops := &VMOps{Budget: NewTaskBudget(0), Logger: env.logger, Lookups: &lc}
	if _, _, err := ops.EnsureVM(ctx, c, request("dev-cp-0")); err == nil {
		t.Log("vCenter accepted a removed custom field key")
	}
	info, _, err := ops.EnsureVM(ctx, c, request("dev-cp-0"))
	if err != nil {
		t.Fatalf("after the field was removed: %v", err)
	}
	fresh, err := findMarkerField(ctx, env.c, false, env.logger)
	if err != nil || !fresh.ok || fresh.key == f.key {
		t.Fatalf("field after the retry: %+v, %v; want a new definition", fresh, err)
	}
	vm := env.vm(info.Moref, "customValue")
	if customValue(vm.CustomValue, fresh) != "c1" {
		t.Errorf("VM not marked with the new field: %+v", vm.CustomValue)
	}
}
