package inventory_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/inventory/inventorytest"
)

const gib = 1 << 30

// recordedInventory is a vCenter as the sync records it: DC0 with the objects a spec
// names, and DC1 with objects of the same names, which DC0 placements must not see.
func recordedInventory() []domain.InventoryObject {
	tmpl := func(dc, name string, hw int) domain.InventoryObject {
		return domain.InventoryObject{Kind: domain.KindTemplate, Moref: "vm-" + dc + name, Name: name, Path: "/" + dc + "/vm/" + name, Datacenter: dc,
			Template: &domain.TemplateInfo{GuestID: "ubuntu64Guest", HardwareVersion: hw, CPUs: 2, MemoryMiB: 4096, DiskGiB: 20}}
	}
	ds := func(dc, name string, free int64, accessible bool) domain.InventoryObject {
		return domain.InventoryObject{Kind: domain.KindDatastore, Moref: "ds-" + dc + name, Name: name, Path: "/" + dc + "/datastore/" + name, Datacenter: dc,
			Datastore: &domain.DatastoreInfo{Type: "VMFS", CapacityBytes: 2000 * gib, FreeBytes: free, Accessible: accessible}}
	}
	var objs []domain.InventoryObject
	for _, dc := range []string{"DC0", "DC1"} {
		objs = append(objs,
			domain.InventoryObject{Kind: domain.KindDatacenter, Moref: "dc-" + dc, Name: dc, Path: "/" + dc},
			domain.InventoryObject{Kind: domain.KindComputeCluster, Moref: "c-" + dc, Name: dc + "_C0", Path: "/" + dc + "/host/" + dc + "_C0", Datacenter: dc},
			domain.InventoryObject{Kind: domain.KindResourcePool, Moref: "rp-" + dc, Name: "Resources", Path: "/" + dc + "/host/" + dc + "_C0/Resources", Datacenter: dc},
			domain.InventoryObject{Kind: domain.KindResourcePool, Moref: "rp1-" + dc, Name: "team-a", Path: "/" + dc + "/host/" + dc + "_C0/Resources/team-a", Datacenter: dc},
			domain.InventoryObject{Kind: domain.KindFolder, Moref: "f-" + dc, Name: "vm", Path: "/" + dc + "/vm", Datacenter: dc},
			domain.InventoryObject{Kind: domain.KindFolder, Moref: "fk-" + dc, Name: "k8s", Path: "/" + dc + "/vm/k8s", Datacenter: dc},
			domain.InventoryObject{Kind: domain.KindNetwork, Moref: "net-" + dc, Name: "VM Network", Path: "/" + dc + "/network/VM Network", Datacenter: dc,
				Network: &domain.NetworkInfo{Type: "Network"}},
			ds(dc, "LocalDS_0", 300*gib, true),
			tmpl(dc, "ubuntu-2404-kube-v1.34", 19),
		)
	}
	objs = append(objs,
		ds("DC0", "small", 299*gib, true),
		ds("DC0", "offline", 1000*gib, false),
		ds("DC1", "only-in-dc1", 1000*gib, true),
		tmpl("DC0", "old-hw", 13),
		tmpl("DC0", "broken-hw", 0),
		// Two templates of one name in two folders: only their paths tell them apart.
		domain.InventoryObject{Kind: domain.KindTemplate, Moref: "vm-twin-a", Name: "twin", Path: "/DC0/vm/a/twin", Datacenter: "DC0",
			Template: &domain.TemplateInfo{GuestID: "ubuntu64Guest", HardwareVersion: 19, DiskGiB: 20}},
		domain.InventoryObject{Kind: domain.KindTemplate, Moref: "vm-twin-b", Name: "twin", Path: "/DC0/vm/b/twin", Datacenter: "DC0",
			Template: &domain.TemplateInfo{GuestID: "ubuntu64Guest", HardwareVersion: 19, DiskGiB: 20}},
	)
	return objs
}

// preflightSpec needs 300 GiB and 5 addresses: 1 control plane and 2 workers of 60 GiB,
// plus one surge node for each of the two pools.
func preflightSpec() domain.ClusterSpec {
	s := domain.ClusterSpec{
		Name: "dev-east", VCenter: "vc1",
		Placement:    domain.Placement{Datacenter: "DC0", ComputeCluster: "DC0_C0", Datastore: "LocalDS_0", Network: "VM Network", Template: "ubuntu-2404-kube-v1.34"},
		ControlPlane: domain.NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools:  []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}},
		Network:      domain.NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
	}
	s.Defaults()
	return s
}

// newPreflightStore returns a store with vCenter vc1 synced with recordedInventory, an
// unsynced vCenter vc2, and pool "lab" of 7 addresses of which 2 are leased (5 free).
func newPreflightStore(t *testing.T) *inventory.Store {
	t.Helper()
	ctx := context.Background()
	s := inventorytest.NewStore(t)
	for _, name := range []string{"vc1", "vc2"} {
		in := domain.VCenterInput{Name: name, Server: name + ".example.com", Username: "administrator@vsphere.local", Password: "pa55-CANARY-word"}
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		v, err := s.CreateVCenter(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if name == "vc1" {
			if err := s.ReplaceInventory(ctx, v.ID, recordedInventory()); err != nil {
				t.Fatal(err)
			}
		}
	}
	pool := domain.IPPoolInput{Name: "lab", CIDR: "192.168.10.0/24", RangeStart: "192.168.10.10", RangeEnd: "192.168.10.17", Gateway: "192.168.10.9"}
	if _, err := s.CreateIPPool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"other-1", "other-2"} {
		if _, err := s.LeaseIP(ctx, "lab", "", owner); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// snapshot returns a digest of every table's rows, to prove that preflight writes nothing.
func snapshot(t *testing.T, s *inventory.Store) string {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Pool().Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if rows.Err() != nil || len(tables) < 5 {
		t.Fatalf("tables %v: %v", tables, rows.Err())
	}
	var b strings.Builder
	for _, table := range tables {
		var digest string
		err := s.Pool().QueryRow(ctx, `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM `+table+` t`).Scan(&digest)
		if err != nil {
			t.Fatalf("digest %s: %v", table, err)
		}
		b.WriteString(table + "=" + digest + ";")
	}
	return b.String()
}

func TestPreflightClusterAgainstRecordedInventory(t *testing.T) {
	ctx := context.Background()
	s := newPreflightStore(t)
	before := snapshot(t, s)

	tests := []struct {
		name    string
		mutate  func(*domain.ClusterSpec)
		fields  []string // sorted; nil means the spec passes
		message string   // part of the error
	}{
		{"default placement passes with exactly enough space and addresses", func(*domain.ClusterSpec) {}, nil, ""},
		{"named pool and folder, by relative and full path", func(s *domain.ClusterSpec) {
			s.Placement.ResourcePool, s.Placement.Folder = "team-a", "/DC0/vm/k8s"
		}, nil, ""},
		{"full paths everywhere", func(s *domain.ClusterSpec) {
			p := &s.Placement
			p.Datacenter, p.ComputeCluster, p.ResourcePool, p.Folder = "/DC0", "/DC0/host/DC0_C0", "/DC0/host/DC0_C0/Resources/team-a", "k8s"
			p.Datastore, p.Network, p.Template = "/DC0/datastore/LocalDS_0", "/DC0/network/VM Network", "/DC0/vm/ubuntu-2404-kube-v1.34"
		}, nil, ""},
		{"template ambiguous by name, fine by path", func(s *domain.ClusterSpec) { s.Placement.Template = "b/twin" }, nil, ""},
		{"old hardware is accepted: host support is unknown here", func(s *domain.ClusterSpec) { s.Placement.Template = "old-hw" }, nil, ""},

		{"unknown vCenter", func(s *domain.ClusterSpec) { s.VCenter = "nope" }, []string{"vcenter"}, `vCenter "nope" is not registered`},
		{"vCenter never synced", func(s *domain.ClusterSpec) { s.VCenter = "vc2" }, []string{"vcenter"}, "has not been synced"},
		{"unknown datacenter", func(s *domain.ClusterSpec) { s.Placement.Datacenter = "DC9" }, []string{"placement.datacenter"}, `datacenter "DC9" not found`},
		{"unknown compute cluster", func(s *domain.ClusterSpec) { s.Placement.ComputeCluster = "DC1_C0" }, []string{"placement.compute_cluster"}, "not found in datacenter DC0"},
		{"unknown resource pool", func(s *domain.ClusterSpec) { s.Placement.ResourcePool = "team-b" }, []string{"placement.resource_pool"}, "not found"},
		{"resource pool of another cluster", func(s *domain.ClusterSpec) { s.Placement.ResourcePool = "/DC1/host/DC1_C0/Resources/team-a" },
			[]string{"placement.resource_pool"}, "is not in compute cluster"},
		{"unknown folder", func(s *domain.ClusterSpec) { s.Placement.Folder = "k9s" }, []string{"placement.folder"}, "not found"},
		{"datastore of another datacenter", func(s *domain.ClusterSpec) { s.Placement.Datastore = "only-in-dc1" }, []string{"placement.datastore"}, "not found"},
		{"unknown network", func(s *domain.ClusterSpec) { s.Placement.Network = "DMZ" }, []string{"placement.network"}, "not found"},
		{"unknown template", func(s *domain.ClusterSpec) { s.Placement.Template = "nope" }, []string{"placement.template"}, "not found"},
		{"ambiguous template", func(s *domain.ClusterSpec) { s.Placement.Template = "twin" }, []string{"placement.template"}, "matches 2 objects"},
		{"template without hardware version", func(s *domain.ClusterSpec) { s.Placement.Template = "broken-hw" }, []string{"placement.template"}, "hardware version"},
		{"datastore 1 GiB short", func(s *domain.ClusterSpec) { s.Placement.Datastore = "small" }, []string{"placement.datastore"}, "has 299.0 GiB free; the cluster needs 300 GiB"},
		{"datastore not accessible", func(s *domain.ClusterSpec) { s.Placement.Datastore = "offline" }, []string{"placement.datastore"}, "not accessible"},
		{"unknown ip pool", func(s *domain.ClusterSpec) { s.Network.IPPool = "nope" }, []string{"network.ip_pool"}, `ip pool "nope" does not exist`},
		{"one address short", func(s *domain.ClusterSpec) { s.WorkerPools[0].Replicas = 3 },
			[]string{"network.ip_pool", "placement.datastore"}, "has 6 free addresses; the cluster needs 7 (4 nodes, 2 upgrade surge nodes and 1 control-plane virtual IP)"},
		{"virtual IP on the pool's gateway", func(s *domain.ClusterSpec) { s.Network.ControlPlaneEndpoint = "192.168.10.9" },
			[]string{"network.control_plane_endpoint"}, "is the gateway of ip pool lab"},
		{"pool overlaps the pod CIDR", func(s *domain.ClusterSpec) { s.Network.PodCIDR = "192.168.0.0/16" }, []string{"network.pod_cidr"}, "overlaps the node addresses"},
		{"every field at once", func(s *domain.ClusterSpec) {
			s.Placement.ComputeCluster, s.Placement.Folder, s.Placement.Network = "x", "y", "z"
			s.Placement.Template, s.Placement.Datastore, s.Network.IPPool = "nope", "small", "nope"
		}, []string{"network.ip_pool", "placement.compute_cluster", "placement.datastore", "placement.folder", "placement.network", "placement.template"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := preflightSpec()
			tt.mutate(&spec)
			if err := spec.Validate(); err != nil {
				t.Fatalf("test spec does not pass Validate: %v", err)
			}
			err := s.PreflightCluster(ctx, spec)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("want pass, got %v", err)
				}
				return
			}
			v, ok := domain.AsValidation(err)
			if !ok {
				t.Fatalf("error %v is not a ValidationError", err)
			}
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v: %v", got, tt.fields, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error leaks the vCenter password: %v", err)
			}
		})
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("preflight changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

func TestIPPoolSummary(t *testing.T) {
	ctx := context.Background()
	s := newPreflightStore(t)
	p, err := s.IPPoolSummary(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if p.Size != 8 || p.Free != 6 || p.CIDR != "192.168.10.0/24" || p.Leases != nil {
		t.Fatalf("summary = %+v", p)
	}
	if _, err := s.IPPoolSummary(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown pool = %v, want ErrNotFound", err)
	}
}
