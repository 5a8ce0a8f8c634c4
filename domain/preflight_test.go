package domain

import (
	"slices"
	"strings"
	"testing"
)

// goodFacts are facts under which goodSpec (1 control plane, 2 workers, 60 GiB disks)
// passes: it needs 5 addresses (3 nodes + 2 surge) and 300 GiB (5 disks of 60 GiB).
func goodFacts() PreflightFacts {
	return PreflightFacts{
		Template:  &TemplateInfo{GuestID: "ubuntu64Guest", HardwareVersion: 19, DiskGiB: 20},
		Datastore: &DatastoreInfo{Accessible: true, FreeBytes: 300 * gib, CapacityBytes: 1000 * gib},
		IPPool:    &IPPoolFacts{CIDR: "192.168.10.0/24", Free: 6},
	}
}

func TestNodeAndSurgeCounts(t *testing.T) {
	s := goodSpec()
	if NodeCount(s) != 3 || SurgeNodes(s) != 2 || RequiredDiskGiB(s, 20) != 300 {
		t.Fatalf("nodes %d surge %d disk %d, want 3 2 300", NodeCount(s), SurgeNodes(s), RequiredDiskGiB(s, 20))
	}
	s.ControlPlane.Replicas = 3
	s.WorkerPools = append(s.WorkerPools, WorkerPool{Name: "big", NodeShape: NodeShape{Replicas: 4, DiskGiB: 100}})
	// 4 x 60 (cp + surge) + 3 x 60 (default + surge) + 5 x 100 (big + surge)
	if NodeCount(s) != 9 || SurgeNodes(s) != 3 || RequiredDiskGiB(s, 20) != 240+180+500 {
		t.Fatalf("nodes %d surge %d disk %d", NodeCount(s), SurgeNodes(s), RequiredDiskGiB(s, 20))
	}
	// A template disk larger than the spec's is what the clones get.
	if got := RequiredDiskGiB(goodSpec(), 80); got != 5*80 {
		t.Fatalf("disk with an 80 GiB template = %d, want 400", got)
	}
}

func TestCheckPreflight(t *testing.T) {
	for name, c := range map[string]struct {
		mutate  func(*ClusterSpec, *PreflightFacts)
		want    []string // fields, sorted
		message string   // part of the first message
	}{
		"good (exactly enough space and addresses)": {func(*ClusterSpec, *PreflightFacts) {}, nil, ""},
		"nothing checked": {func(_ *ClusterSpec, f *PreflightFacts) { *f = PreflightFacts{} }, nil, ""},
		"problems are passed on": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.Problems = []FieldError{{"placement.folder", "not found"}, {"vcenter", "not registered"}}
		}, []string{"placement.folder", "vcenter"}, "not found"},
		"template without guest OS": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template.GuestID = "" },
			[]string{"placement.template"}, "no guest OS"},
		"windows template": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template.GuestID = "windows2019srv_64Guest" },
			[]string{"placement.template"}, "Linux guest"},
		"hardware 15 is enough": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template.HardwareVersion = 15 }, nil, ""},
		"old hardware, hosts unknown": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template.HardwareVersion = 13 },
			nil, ""},
		"old hardware, hosts can upgrade": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.Template.HardwareVersion, f.MaxHardwareVersion = 11, 21
		}, nil, ""},
		"old hardware, hosts cannot upgrade": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.Template.HardwareVersion, f.MaxHardwareVersion = 13, 14
		}, []string{"placement.template"}, "cannot be upgraded"},
		"unreadable hardware": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template.HardwareVersion = 0 },
			[]string{"placement.template"}, "no readable hardware version"},
		"datastore inaccessible": {func(_ *ClusterSpec, f *PreflightFacts) { f.Datastore.Accessible = false },
			[]string{"placement.datastore"}, "not accessible"},
		"datastore one byte short": {func(_ *ClusterSpec, f *PreflightFacts) { f.Datastore.FreeBytes-- },
			[]string{"placement.datastore"}, "needs 300 GiB (3 nodes and 2 upgrade surge nodes)"},
		"template disk counts": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template.DiskGiB = 61 },
			[]string{"placement.datastore"}, "needs 305 GiB"},
		"no template facts: spec disks only": {func(_ *ClusterSpec, f *PreflightFacts) { f.Template = nil }, nil, ""},
		"pool one address short": {func(_ *ClusterSpec, f *PreflightFacts) { f.IPPool.Free = 5 },
			[]string{"network.ip_pool"}, "has 5 free addresses; the cluster needs 6 (3 nodes, 2 upgrade surge nodes and 1 control-plane virtual IP)"},
		"a given virtual IP takes no pool address": {func(s *ClusterSpec, f *PreflightFacts) {
			f.IPPool.Free = 5
			s.Network.ControlPlaneEndpoint = "192.168.10.5"
		}, nil, ""},
		"a given virtual IP off the pool's network": {func(s *ClusterSpec, _ *PreflightFacts) {
			s.Network.ControlPlaneEndpoint = "192.168.11.5"
		}, []string{"network.control_plane_endpoint"}, "outside the network 192.168.10.0/24 of ip pool"},
		"a given virtual IP on the default gateway": {func(s *ClusterSpec, _ *PreflightFacts) {
			s.Network.ControlPlaneEndpoint = "192.168.10.1"
		}, []string{"network.control_plane_endpoint"}, "is the gateway of ip pool"},
		"a given virtual IP on the pool's gateway": {func(s *ClusterSpec, f *PreflightFacts) {
			f.IPPool.Gateway, s.Network.ControlPlaneEndpoint = "192.168.10.254", "192.168.10.254"
		}, []string{"network.control_plane_endpoint"}, "is the gateway of ip pool"},
		"a given virtual IP on the broadcast address": {func(s *ClusterSpec, _ *PreflightFacts) {
			s.Network.ControlPlaneEndpoint = "192.168.10.255"
		}, []string{"network.control_plane_endpoint"}, "broadcast address of 192.168.10.0/24"},
		"a given virtual IP on the network address": {func(s *ClusterSpec, _ *PreflightFacts) {
			s.Network.ControlPlaneEndpoint = "192.168.10.0"
		}, []string{"network.control_plane_endpoint"}, "network address of 192.168.10.0/24"},
		"more workers need more addresses": {func(s *ClusterSpec, _ *PreflightFacts) { s.WorkerPools[0].Replicas = 3 },
			[]string{"network.ip_pool", "placement.datastore"}, ""},
		"pool overlaps pod and service CIDRs": {func(s *ClusterSpec, f *PreflightFacts) {
			f.IPPool.CIDR = "10.0.0.0/8"
		}, []string{"network.pod_cidr", "network.service_cidr"}, "overlaps the node addresses"},
		"a Ready KubeSphere host": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.KubeSphereHost = &KubeSphereHostFacts{Name: "hub", Phase: PhaseReady, Role: KubeSphereHost}
		}, nil, ""},
		"a KubeSphere host not Ready": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.KubeSphereHost = &KubeSphereHostFacts{Name: "hub", Phase: PhaseProvisioning, Role: KubeSphereHost}
		}, []string{"addons.kubesphere.host"}, "KubeSphere host hub is Provisioning, not Ready"},
		"a KubeSphere member as host": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.KubeSphereHost = &KubeSphereHostFacts{Name: "hub", Phase: PhaseReady, Role: KubeSphereMember}
		}, []string{"addons.kubesphere.host"}, "cluster hub is not a KubeSphere host"},
		"everything at once": {func(_ *ClusterSpec, f *PreflightFacts) {
			f.Template.HardwareVersion, f.MaxHardwareVersion = 10, 13
			f.Datastore.FreeBytes = 0
			f.IPPool.Free = 0
		}, []string{"network.ip_pool", "placement.datastore", "placement.template"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			spec, facts := goodSpec(), goodFacts()
			c.mutate(&spec, &facts)
			verr := CheckPreflight(spec, facts)
			var got []string
			if verr != nil {
				for _, f := range verr.Fields {
					got = append(got, f.Field)
				}
				slices.Sort(got)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, verr)
			}
			if c.want == nil && verr != nil {
				t.Fatalf("want nil, got %v", verr)
			}
			if c.message != "" && !strings.Contains(verr.Error(), c.message) {
				t.Errorf("error %q does not say %q", verr.Error(), c.message)
			}
		})
	}
}

func TestCheckPreflightDoesNotAliasProblems(t *testing.T) {
	facts := PreflightFacts{Problems: make([]FieldError, 1, 4)}
	facts.Problems[0] = FieldError{"vcenter", "x"}
	spec := goodSpec()
	facts.IPPool = &IPPoolFacts{Free: 0}
	_ = CheckPreflight(spec, facts)
	if got := facts.Problems[:cap(facts.Problems)][1]; got != (FieldError{}) {
		t.Fatalf("CheckPreflight wrote into the caller's Problems: %v", got)
	}
}

func TestLinuxGuest(t *testing.T) {
	for id, want := range map[string]bool{
		"ubuntu64Guest": true, "rhel9_64Guest": true, "otherLinux64Guest": true, "photon64Guest": true,
		"windows2019srv_64Guest": false, "winNetStandardGuest": false, "darwin20_64Guest": false,
		"solaris11_64Guest": false, "freebsd13_64Guest": false,
	} {
		if linuxGuest(id) != want {
			t.Errorf("linuxGuest(%q) = %v, want %v", id, !want, want)
		}
	}
}
