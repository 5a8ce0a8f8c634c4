package vsphere

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// collect logs in to vc through s and collects its inventory.
func collect(t *testing.T, s *Sessions, key string, vc *sim.VCenter) []domain.InventoryObject {
	t.Helper()
	ctx := context.Background()
	c, err := s.Client(ctx, key, vc.Credentials())
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	objs, err := CollectInventory(ctx, c.Client)
	if err != nil {
		t.Fatalf("CollectInventory: %v", err)
	}
	return objs
}

// byPath indexes objects by kind and path.
func byPath(objs []domain.InventoryObject) map[string]domain.InventoryObject {
	m := make(map[string]domain.InventoryObject, len(objs))
	for _, o := range objs {
		m[o.Kind+" "+o.Path] = o
	}
	return m
}

func mustFind(t *testing.T, m map[string]domain.InventoryObject, kind, path string) domain.InventoryObject {
	t.Helper()
	o, ok := m[kind+" "+path]
	if !ok {
		var have []string
		for k := range m {
			have = append(have, k)
		}
		t.Fatalf("no %s at %s; have %q", kind, path, have)
	}
	return o
}

func TestCollectInventory(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{Pools: 1})
	objs := collect(t, newTestSessions(t), "vc1", vc)
	m := byPath(objs)

	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind]++
		if o.Moref == "" || o.Name == "" || o.Parent == "" {
			t.Errorf("%s %s: empty moref, name or parent: %+v", o.Kind, o.Path, o)
		}
		if !strings.HasPrefix(o.Path, "/DC0") || !strings.HasSuffix(o.Path, "/"+o.Name) {
			t.Errorf("%s %s: path does not lead from /DC0 to its name %q", o.Kind, o.Path, o.Name)
		}
		if want := "DC0"; o.Kind != domain.KindDatacenter && o.Datacenter != want {
			t.Errorf("%s %s: datacenter %q, want %q", o.Kind, o.Path, o.Datacenter, want)
		}
	}
	for _, k := range domain.InventoryKinds {
		if kinds[k] == 0 {
			t.Errorf("no object of kind %s", k)
		}
	}

	dc := mustFind(t, m, domain.KindDatacenter, "/DC0")
	if dc.Datacenter != "" || !strings.HasPrefix(dc.Moref, "datacenter-") {
		t.Errorf("datacenter: %+v", dc)
	}

	cluster := mustFind(t, m, domain.KindComputeCluster, "/DC0/host/DC0_C0")
	if cluster.Compute == nil || cluster.Compute.Hosts != 3 || cluster.Compute.CPUMhz <= 0 || cluster.Compute.MemoryBytes <= 0 {
		t.Errorf("cluster compute: %+v", cluster.Compute)
	}
	if kinds[domain.KindComputeCluster] != 1 {
		t.Errorf("%d compute clusters, want 1 (the standalone host is not a cluster)", kinds[domain.KindComputeCluster])
	}

	host := mustFind(t, m, domain.KindHost, "/DC0/host/DC0_C0/DC0_C0_H0")
	if host.Compute == nil || host.Compute.Hosts != 1 || host.Compute.CPUMhz <= 0 || host.Compute.MemoryBytes <= 0 {
		t.Errorf("host compute: %+v", host.Compute)
	}
	if host.Parent != cluster.Moref {
		t.Errorf("host parent %q, want the cluster %q", host.Parent, cluster.Moref)
	}
	mustFind(t, m, domain.KindHost, "/DC0/host/DC0_H0/DC0_H0") // standalone host
	if kinds[domain.KindHost] != 4 {
		t.Errorf("%d hosts, want 4", kinds[domain.KindHost])
	}

	root := mustFind(t, m, domain.KindResourcePool, "/DC0/host/DC0_C0/Resources")
	if root.Parent != cluster.Moref {
		t.Errorf("root pool parent %q, want the cluster %q", root.Parent, cluster.Moref)
	}
	child := mustFind(t, m, domain.KindResourcePool, "/DC0/host/DC0_C0/Resources/DC0_C0_RP1")
	if child.Parent != root.Moref {
		t.Errorf("child pool parent %q, want the root pool %q", child.Parent, root.Moref)
	}

	vmFolder := mustFind(t, m, domain.KindFolder, "/DC0/vm")
	for _, o := range objs {
		if o.Kind == domain.KindFolder && !strings.HasPrefix(o.Path, "/DC0/vm") {
			t.Errorf("folder %s is not a VM folder", o.Path)
		}
	}

	ds := mustFind(t, m, domain.KindDatastore, "/DC0/datastore/LocalDS_0")
	if d := ds.Datastore; d == nil || d.CapacityBytes <= 0 || d.FreeBytes <= 0 || d.FreeBytes > d.CapacityBytes || !d.Accessible || d.URL == "" || d.Type == "" {
		t.Errorf("datastore: %+v", ds.Datastore)
	}

	network := mustFind(t, m, domain.KindNetwork, "/DC0/network/VM Network")
	if network.Network == nil || network.Network.Type != "Network" {
		t.Errorf("VM Network: %+v", network.Network)
	}
	pg := mustFind(t, m, domain.KindNetwork, "/DC0/network/DC0_DVPG0")
	if pg.Network == nil || pg.Network.Type != "DistributedVirtualPortgroup" {
		t.Errorf("DC0_DVPG0: %+v", pg.Network)
	}

	tmpl := mustFind(t, m, domain.KindTemplate, "/DC0/vm/"+sim.DefaultTemplate)
	want := domain.TemplateInfo{
		GuestID:         "ubuntu64Guest",
		GuestFullName:   "Ubuntu Linux (64-bit)",
		HardwareVersion: 19,
		CPUs:            2,
		MemoryMiB:       4096,
		DiskGiB:         20,
	}
	if tmpl.Template == nil || *tmpl.Template != want {
		t.Errorf("template: got %+v, want %+v", tmpl.Template, want)
	}
	if !strings.HasPrefix(tmpl.Moref, "vm-") || tmpl.Parent != vmFolder.Moref {
		t.Errorf("template moref %q parent %q (VM folder %q)", tmpl.Moref, tmpl.Parent, vmFolder.Moref)
	}
	if want := len(sim.NodeTemplates()); kinds[domain.KindTemplate] != want {
		t.Errorf("%d templates, want %d (ordinary VMs are not templates)", kinds[domain.KindTemplate], want)
	}
}

func TestCollectInventoryRoundTripsDoNotGrow(t *testing.T) {
	small := startVCenter(t, sim.VCenterOptions{ClusterHosts: 1, VMs: -1})
	large := startVCenter(t, sim.VCenterOptions{
		ClusterHosts:   8,
		Pools:          4,
		VMs:            6,
		ExtraTemplates: []string{"t1", "t2", "t3", "t4", "t5"},
	})
	s := newTestSessions(t)

	run := func(key string, vc *sim.VCenter) (int, int64, []string) {
		c, err := s.Client(context.Background(), key, vc.Credentials())
		if err != nil {
			t.Fatal(err)
		}
		cc, rt := counted(c.Client)
		objs, err := CollectInventory(context.Background(), cc)
		if err != nil {
			t.Fatal(err)
		}
		return len(objs), rt.total.Load(), rt.calls
	}
	nSmall, tripsSmall, callsSmall := run("small", small)
	nLarge, tripsLarge, callsLarge := run("large", large)
	t.Logf("small: %d objects, %d round trips %v; large: %d objects, %d round trips %v",
		nSmall, tripsSmall, callsSmall, nLarge, tripsLarge, callsLarge)

	if nLarge < 2*nSmall {
		t.Fatalf("large inventory (%d objects) not much larger than small (%d)", nLarge, nSmall)
	}
	if tripsSmall != tripsLarge {
		t.Errorf("round trips grew with the inventory: %d for %d objects, %d for %d objects", tripsSmall, nSmall, tripsLarge, nLarge)
	}
	if tripsLarge > 4 {
		t.Errorf("%d round trips, want at most 4", tripsLarge)
	}
}

func TestCollectInventoryTemplateWithSnapshot(t *testing.T) {
	vc := startVCenter(t, sim.VCenterOptions{ExtraTemplates: []string{"with-snapshot"}})
	s := newTestSessions(t)
	ctx := context.Background()
	c, err := s.Client(ctx, "vc1", vc.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	snapshotTemplate(t, c.Client, "/DC0/vm/with-snapshot")

	m := byPath(collect(t, s, "vc1", vc))
	if got := mustFind(t, m, domain.KindTemplate, "/DC0/vm/with-snapshot"); !got.Template.HasSnapshot {
		t.Errorf("with-snapshot: HasSnapshot false")
	}
	if got := mustFind(t, m, domain.KindTemplate, "/DC0/vm/"+sim.DefaultTemplate); got.Template.HasSnapshot {
		t.Errorf("%s: HasSnapshot true", sim.DefaultTemplate)
	}
}

// snapshotTemplate turns the template at path into a VM, snapshots it and
// marks it as a template again.
func snapshotTemplate(t *testing.T, c *vim25.Client, path string) {
	t.Helper()
	ctx := context.Background()
	finder := find.NewFinder(c)
	vm, err := finder.VirtualMachine(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := finder.ClusterComputeResource(ctx, "/DC0/host/DC0_C0")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := cluster.Hosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.MarkAsVirtualMachine(ctx, *pool, hosts[0]); err != nil {
		t.Fatal(err)
	}
	task, err := vm.CreateSnapshot(ctx, "golden", "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vm.MarkAsTemplate(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTwoVCentersSideBySide(t *testing.T) {
	a := startVCenter(t, sim.VCenterOptions{ExtraTemplates: []string{"only-in-a"}})
	b := startVCenter(t, sim.VCenterOptions{ClusterHosts: 2, ExtraTemplates: []string{"only-in-b"}})
	s := newTestSessions(t)

	ma := byPath(collect(t, s, "a", a))
	mb := byPath(collect(t, s, "b", b))
	mustFind(t, ma, domain.KindTemplate, "/DC0/vm/only-in-a")
	mustFind(t, mb, domain.KindTemplate, "/DC0/vm/only-in-b")
	if _, ok := ma[domain.KindTemplate+" /DC0/vm/only-in-b"]; ok {
		t.Error("vCenter a sees b's template")
	}
	if _, ok := mb[domain.KindTemplate+" /DC0/vm/only-in-a"]; ok {
		t.Error("vCenter b sees a's template")
	}
	if h := mustFind(t, ma, domain.KindComputeCluster, "/DC0/host/DC0_C0").Compute.Hosts; h != 3 {
		t.Errorf("a: %d hosts in DC0_C0, want 3", h)
	}
	if h := mustFind(t, mb, domain.KindComputeCluster, "/DC0/host/DC0_C0").Compute.Hosts; h != 2 {
		t.Errorf("b: %d hosts in DC0_C0, want 2", h)
	}
	if s.Logins() != 2 {
		t.Errorf("%d logins, want 2", s.Logins())
	}
}

func TestTemplateInfoParsing(t *testing.T) {
	for in, want := range map[string]int{"vmx-19": 19, "vmx-7": 7, "vmx-": 0, "19": 0, "": 0, "vmx-x": 0} {
		if got := hardwareVersion(in); got != want {
			t.Errorf("hardwareVersion(%q) = %d, want %d", in, got, want)
		}
	}
	devices := []types.BaseVirtualDevice{
		&types.VirtualDisk{CapacityInBytes: 20 << 30},
		&types.VirtualDisk{CapacityInKB: 1024}, // 1 MiB, only in KB: rounds up
		&types.ParaVirtualSCSIController{},
	}
	if got := diskGiB(devices); got != 21 {
		t.Errorf("diskGiB = %d, want 21", got)
	}
	if got := diskGiB(nil); got != 0 {
		t.Errorf("diskGiB(nil) = %d, want 0", got)
	}
}

func TestUplinkPortgroupsAreNotNetworks(t *testing.T) {
	dvpg := func(value, name string, tags ...string) types.ObjectContent {
		var ts []types.Tag
		for _, k := range tags {
			ts = append(ts, types.Tag{Key: k})
		}
		return types.ObjectContent{
			Obj: types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: value},
			PropSet: []types.DynamicProperty{
				{Name: "name", Val: name},
				{Name: "parent", Val: types.ManagedObjectReference{Type: "Folder", Value: "group-n1"}},
				{Name: "tag", Val: types.ArrayOfTag{Tag: ts}},
			},
		}
	}
	inv := newInventory([]types.ObjectContent{
		{
			Obj:     types.ManagedObjectReference{Type: "Folder", Value: "group-n1"},
			PropSet: []types.DynamicProperty{{Name: "name", Val: "network"}},
		},
		dvpg("dvportgroup-1", "uplinks", uplinkTag),
		dvpg("dvportgroup-2", "workloads"),
	})
	objs := inv.objects()
	if len(objs) != 1 || objs[0].Name != "workloads" || objs[0].Path != "/network/workloads" {
		t.Fatalf("objects = %+v, want only the workloads port group", objs)
	}
}

func BenchmarkCollectInventory(b *testing.B) {
	vc := startVCenter(b, sim.VCenterOptions{ClusterHosts: 8, Pools: 4, VMs: 10})
	s := newTestSessions(b)
	ctx := context.Background()
	c, err := s.Client(ctx, "vc1", vc.Credentials())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := CollectInventory(ctx, c.Client); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Logins()), "logins")
}
