package api_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vmware/govmomi"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

// TestCreateClusterRejectsBadSpecsAndCreatesNothing sends a spec breaking each rule of
// API.md's "Cluster spec" section, and a few at once: each is 400 (the spec alone) or
// 422 (the spec against the inventory) naming exactly the bad fields, and after each
// nothing exists: no cluster, no operation, no lease, no secret. Each attempt is audited
// as a failed cluster.create.
func TestCreateClusterRejectsBadSpecsAndCreatesNothing(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, func(ctx context.Context, c *govmomi.Client) {
		createTemplate(ctx, t, c, "windows-2022", "windows9Server64Guest", 19)
	})
	operator := env.Token("op", domain.RoleOperator)
	const badReq, preflight = http.StatusBadRequest, http.StatusUnprocessableEntity

	cases := []struct {
		name   string
		change func(*domain.ClusterSpec)
		status int
		fields []string
		says   string // a part of the first field's message
	}{
		{"control plane with 1 vCPU", func(s *domain.ClusterSpec) { s.ControlPlane.CPUs = 1 },
			badReq, []string{"control_plane.cpus"}, "at least 2"},
		{"workers below 4 GiB memory", func(s *domain.ClusterSpec) { s.WorkerPools[0].MemoryMiB = 4095 },
			badReq, []string{"worker_pools[0].memory_mib"}, "at least 4096"},
		{"control plane below 40 GiB disk", func(s *domain.ClusterSpec) { s.ControlPlane.DiskGiB = 39 },
			badReq, []string{"control_plane.disk_gib"}, "at least 40"},
		{"second pool below every floor", func(s *domain.ClusterSpec) {
			s.WorkerPools = append(s.WorkerPools, domain.WorkerPool{Name: "small", NodeShape: domain.NodeShape{Replicas: 1, CPUs: 1, MemoryMiB: 2048, DiskGiB: 20}})
		}, badReq, []string{"worker_pools[1].cpus", "worker_pools[1].disk_gib", "worker_pools[1].memory_mib"}, "at least 2"},
		{"unsupported version", func(s *domain.ClusterSpec) { s.KubernetesVersion = "v1.29.0" },
			badReq, []string{"kubernetes_version"}, "not supported"},
		{"two control planes", func(s *domain.ClusterSpec) { s.ControlPlane.Replicas = 2 },
			badReq, []string{"control_plane.replicas"}, "odd"},
		{"four control planes", func(s *domain.ClusterSpec) { s.ControlPlane.Replicas = 4 },
			badReq, []string{"control_plane.replicas"}, "odd"},
		{"service CIDR overlaps pod CIDR", func(s *domain.ClusterSpec) { s.Network.PodCIDR, s.Network.ServiceCIDR = "10.96.0.0/16", "10.96.0.0/12" },
			badReq, []string{"network.service_cidr"}, "overlaps pod_cidr"},
		{"pod CIDR overlaps the node addresses", func(s *domain.ClusterSpec) { s.Network.PodCIDR = "127.71.0.0/16" },
			preflight, []string{"network.pod_cidr"}, "overlaps the node addresses 127.71.0.0/24"},
		{"service CIDR overlaps the node addresses", func(s *domain.ClusterSpec) { s.Network.ServiceCIDR = "127.0.0.0/8" },
			preflight, []string{"network.service_cidr"}, "overlaps the node addresses 127.71.0.0/24"},
		{"unknown template", func(s *domain.ClusterSpec) { s.Placement.Template = "ubuntu-1804" },
			preflight, []string{"placement.template"}, `template "ubuntu-1804" not found`},
		{"template with a Windows guest", func(s *domain.ClusterSpec) { s.Placement.Template = "windows-2022" },
			preflight, []string{"placement.template"}, "Kubernetes nodes need a Linux guest"},
		{"pool without room for the surge nodes", func(s *domain.ClusterSpec) {
			// 4 nodes fit the 5 free addresses; with one surge node per pool (2) they do not.
			s.Network.IPPool, s.WorkerPools[0].Replicas = "tiny", 3
		}, preflight, []string{"network.ip_pool"}, "has 5 free addresses; the cluster needs 7 (4 nodes, 2 upgrade surge nodes and 1 control-plane virtual IP)"},
		{"pool without room for the control-plane virtual IP", func(s *domain.ClusterSpec) {
			// 3 nodes and 2 surge nodes fit the 5 free addresses; the VIP's lease does not.
			s.Network.IPPool = "tiny"
		}, preflight, []string{"network.ip_pool"}, "the cluster needs 6 (3 nodes, 2 upgrade surge nodes and 1 control-plane virtual IP)"},
		{"virtual IP off the pool's network", func(s *domain.ClusterSpec) { s.Network.ControlPlaneEndpoint = "127.99.0.5" },
			preflight, []string{"network.control_plane_endpoint"}, "outside the network 127.71.0.0/24 of ip pool lab"},
		{"virtual IP not an address", func(s *domain.ClusterSpec) { s.Network.ControlPlaneEndpoint = "api.example.com" },
			badReq, []string{"network.control_plane_endpoint"}, "must be an IP address"},
		{"unknown pool", func(s *domain.ClusterSpec) { s.Network.IPPool = "nope" },
			preflight, []string{"network.ip_pool"}, `"nope" does not exist`},
		{"unknown vCenter", func(s *domain.ClusterSpec) { s.VCenter = "vc9" },
			preflight, []string{"vcenter"}, "not registered"},
		{"unknown datastore", func(s *domain.ClusterSpec) { s.Placement.Datastore = "SharedDS_9" },
			preflight, []string{"placement.datastore"}, `datastore "SharedDS_9" not found`},
		{"datastore without room", func(s *domain.ClusterSpec) { s.ControlPlane.DiskGiB, s.WorkerPools[0].DiskGiB = 1<<20, 1<<20 },
			preflight, []string{"placement.datastore"}, "the cluster needs 5242880 GiB"},
		{"unknown template and datastore together", func(s *domain.ClusterSpec) { s.Placement.Template, s.Placement.Datastore = "x", "y" },
			preflight, []string{"placement.datastore", "placement.template"}, "not found"},
		{"bad network and version together", func(s *domain.ClusterSpec) {
			s.KubernetesVersion, s.Network.PodCIDR, s.Network.IPPool = "1.34", "10.0.0.1/16", ""
		}, badReq, []string{"kubernetes_version", "network.ip_pool", "network.pod_cidr"}, "not supported"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := validSpec("bad-" + strconv.Itoa(i))
			c.change(&spec)
			p := readProblem(t, env.Do("POST", "/api/v1/clusters", operator, spec), c.status)
			wantType := "https://clusterwright.dev/problems/invalid-input"
			if c.status == preflight {
				wantType = "https://clusterwright.dev/problems/preflight-failed"
			}
			if p.Type != wantType {
				t.Errorf("type %q, want %q", p.Type, wantType)
			}
			if got := p.fieldNames(t); !slices.Equal(got, c.fields) {
				t.Fatalf("fields %v, want %v: %+v", got, c.fields, p.Errors)
			}
			if msg := p.message(c.fields[0]); !strings.Contains(msg, c.says) {
				t.Errorf("%s: %q does not say %q", c.fields[0], msg, c.says)
			}
			assertNoClusterWritten(t, env)
			if !hasAudit(auditEvents(t, env, "cluster.create"), "op", "cluster/"+spec.Name, domain.OutcomeFailure, c.status) {
				t.Errorf("no failed cluster.create audit event for %s with status %d", spec.Name, c.status)
			}
		})
	}

	// An empty object names every field that has no default.
	p := readProblem(t, env.Do("POST", "/api/v1/clusters", operator, `{}`), badReq)
	want := []string{"control_plane.cpus", "control_plane.disk_gib", "control_plane.memory_mib", "name", "network.ip_pool",
		"placement.compute_cluster", "placement.datacenter", "placement.datastore", "placement.network", "placement.template", "vcenter"}
	if got := p.fieldNames(t); !slices.Equal(got, want) {
		t.Errorf("empty spec: fields %v, want %v", got, want)
	}
	// The decoder is strict at every depth.
	p = readProblem(t, env.Do("POST", "/api/v1/clusters", operator, `{"name":"x","placement":{"datacenter":"DC0","zone":"a"}}`), badReq)
	if got := p.fieldNames(t); !slices.Equal(got, []string{"zone"}) {
		t.Errorf("unknown nested field: fields %v, want [zone]", got)
	}
	assertNoClusterWritten(t, env)

	// The valid spec itself passes, which shows the cases above failed for their own reason.
	r := env.Do("POST", "/api/v1/clusters", operator, validSpec("good"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("the valid spec: %d %s", r.Status, r.Body)
	}
}
