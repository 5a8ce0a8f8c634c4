package domain

import (
	"slices"
	"testing"
)

func goodSpec() ClusterSpec {
	s := ClusterSpec{
		Name: "dev-east", VCenter: "vc1",
		Placement:    Placement{Datacenter: "DC0", ComputeCluster: "DC0_C0", Datastore: "LocalDS_0", Network: "VM Network", Template: "ubuntu-2404-kube-v1.34"},
		ControlPlane: NodeShape{Replicas: 1, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60},
		WorkerPools:  []WorkerPool{{Name: "default", NodeShape: NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 60}}},
		Network:      NetworkSpec{IPPool: "lab", PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16"},
	}
	s.Defaults()
	return s
}

func fields(err error) []string {
	v, ok := AsValidation(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

func TestClusterSpecDefaultsAndGood(t *testing.T) {
	s := ClusterSpec{}
	s.Defaults()
	if s.KubernetesVersion != defaultVersion || s.ControlPlane.Replicas != 1 || s.Network.PodCIDR == "" ||
		s.Addons.Antrea.TrafficEncryption != "none" || !*s.Addons.VSphereCSI.DefaultClass {
		t.Fatalf("defaults = %+v", s)
	}
	g := goodSpec()
	if err := g.Validate(); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	if g.KubeSphereHost() != "" {
		t.Errorf("a spec without KubeSphere has host %q", g.KubeSphereHost())
	}
	g.Addons.KubeSphere = &KubeSphereSpec{Enabled: true, Role: KubeSphereMember, Host: "hub"}
	if err := g.Validate(); err != nil || g.KubeSphereHost() != "hub" {
		t.Fatalf("a KubeSphere member of hub: host %q, %v", g.KubeSphereHost(), err)
	}
}

func TestClusterSpecRules(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*ClusterSpec)
		want   []string
	}{
		"hardware floor": {func(s *ClusterSpec) {
			s.ControlPlane.CPUs, s.WorkerPools[0].MemoryMiB, s.WorkerPools[0].DiskGiB = 1, 2048, 20
		}, []string{"control_plane.cpus", "worker_pools[0].disk_gib", "worker_pools[0].memory_mib"}},
		"even control plane":      {func(s *ClusterSpec) { s.ControlPlane.Replicas = 2 }, []string{"control_plane.replicas"}},
		"too many control planes": {func(s *ClusterSpec) { s.ControlPlane.Replicas = 9 }, []string{"control_plane.replicas"}},
		"unsupported version":     {func(s *ClusterSpec) { s.KubernetesVersion = "v1.20.0" }, []string{"kubernetes_version"}},
		"overlapping cidrs":       {func(s *ClusterSpec) { s.Network.ServiceCIDR = "10.10.128.0/17" }, []string{"network.service_cidr"}},
		"bad cidrs": {func(s *ClusterSpec) { s.Network.PodCIDR, s.Network.ServiceCIDR = "10.10.0.1/16", "nope" },
			[]string{"network.pod_cidr", "network.service_cidr"}},
		"virtual IP not an address": {func(s *ClusterSpec) { s.Network.ControlPlaneEndpoint = "vip.example:6443" },
			[]string{"network.control_plane_endpoint"}},
		"virtual IP in the service range": {func(s *ClusterSpec) { s.Network.ControlPlaneEndpoint = "10.96.0.10" },
			[]string{"network.control_plane_endpoint"}},
		"virtual IP unspecified": {func(s *ClusterSpec) { s.Network.ControlPlaneEndpoint = "0.0.0.0" },
			[]string{"network.control_plane_endpoint"}},
		"placement": {func(s *ClusterSpec) { s.Placement = Placement{} },
			[]string{"placement.compute_cluster", "placement.datacenter", "placement.datastore", "placement.network", "placement.template"}},
		"pools": {func(s *ClusterSpec) {
			s.WorkerPools = append(s.WorkerPools, s.WorkerPools[0], WorkerPool{Name: "Bad", NodeShape: s.WorkerPools[0].NodeShape})
		}, []string{"worker_pools[1].name", "worker_pools[2].name"}},
		"addons": {func(s *ClusterSpec) {
			s.Addons.Antrea.TrafficEncryption = "rot13"
			s.Addons.KubeSphere = &KubeSphereSpec{Enabled: true, Role: "boss"}
		}, []string{"addons.antrea.traffic_encryption", "addons.kubesphere.role"}},
		"kubesphere member without host": {func(s *ClusterSpec) {
			s.Addons.KubeSphere = &KubeSphereSpec{Enabled: true, Role: KubeSphereMember}
		}, []string{"addons.kubesphere.host"}},
		"kubesphere member of itself": {func(s *ClusterSpec) {
			s.Addons.KubeSphere = &KubeSphereSpec{Enabled: true, Role: KubeSphereMember, Host: s.Name}
		}, []string{"addons.kubesphere.host"}},
		"kubesphere member disabled": {func(s *ClusterSpec) {
			s.Addons.KubeSphere = &KubeSphereSpec{Role: KubeSphereMember, Host: "hub"}
		}, []string{"addons.kubesphere.enabled"}},
		"kubesphere host naming a host": {func(s *ClusterSpec) {
			s.Addons.KubeSphere = &KubeSphereSpec{Enabled: true, Host: "hub"}
		}, []string{"addons.kubesphere.host"}},
		"kubesphere host not a name": {func(s *ClusterSpec) {
			s.Addons.KubeSphere = &KubeSphereSpec{Enabled: true, Role: KubeSphereMember, Host: "Hub\x00"}
		}, []string{"addons.kubesphere.host"}},
		"long name": {func(s *ClusterSpec) { s.Name = "a23456789012345678901234567890123456789012345678901234567890" },
			[]string{"name", "worker_pools[0].name"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := goodSpec()
			c.mutate(&s)
			got := fields(s.Validate())
			if !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v", got, c.want)
			}
		})
	}
}

func TestCheckNodeCIDR(t *testing.T) {
	s := goodSpec()
	var v ValidationError
	s.Network.CheckNodeCIDR(&v, "10.10.5.0/24")
	if len(v.Fields) != 1 || v.Fields[0].Field != "network.pod_cidr" {
		t.Fatalf("node cidr overlap: %+v", v.Fields)
	}
	v = ValidationError{}
	s.Network.CheckNodeCIDR(&v, "127.20.0.0/16")
	if v.Err() != nil {
		t.Fatalf("no overlap reported %v", v.Fields)
	}
}
