package api_test

import (
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/domain"
)

// One fuzz target per JSON input type of the API (see fuzz_harness_test.go for what each
// checks). bodyFuzzTargets names the route each drives, so that
// TestFuzzTargetsCoverEveryBody can tell when a route taking a body has none.
var bodyFuzzTargets = map[string]string{
	"POST /api/v1/clusters":                             "FuzzClusterSpec",
	"POST /api/v1/vcenters":                             "FuzzVCenterRegistration",
	"PATCH /api/v1/vcenters/{name}":                     "FuzzVCenterPatch",
	"POST /api/v1/ippools":                              "FuzzIPPool",
	"POST /api/v1/tokens":                               "FuzzToken",
	"POST /api/v1/clustersets":                          "FuzzClusterSetCreate",
	"POST /api/v1/clustersets/{name}/members":           "FuzzClusterSetJoin",
	"POST /api/v1/schedules":                            "FuzzSchedule",
	"POST /api/v1/clusters/{name}/upgrade":              "FuzzUpgrade",
	"POST /api/v1/clusters/{name}/scale":                "FuzzScale",
	"POST /api/v1/clusters/{name}/nodes/{node}/replace": "FuzzReplace",
	"POST /api/v1/clusters/{name}/backups":              "FuzzBackupCreate",
	"POST /api/v1/operations/{id}/retry":                "FuzzOperationRetry",
	"POST /dev/faults":                                  "FuzzDevFault",
	"POST /api/v1/projects":                             "FuzzProjectCreate",
	"PATCH /api/v1/projects/{name}":                     "FuzzProjectPatch",
	"POST /auth/token":                                  "FuzzLoginToken",
}

func FuzzClusterSpec(f *testing.F) {
	spec := validSpec("fz-new")
	spec.Network.ControlPlaneEndpoint = "127.71.0.5"
	spec.Addons = domain.AddonsSpec{Antrea: &domain.AntreaSpec{TrafficEncryption: "none"},
		VSphereCSI: &domain.CSISpec{StoragePolicy: "gold"}, KubeSphere: &domain.KubeSphereSpec{Enabled: true, Role: "member", Host: "east"}}
	base := api.ClusterRequest{ClusterSpec: spec, Project: "fz-proj", FailurePolicy: domain.FailurePolicy{OnFailure: domain.OnFailureWait, DecisionTimeout: "1h"},
		BackupSchedule: &api.BackupScheduleRequest{Every: "24h", Jitter: "5m"}}
	fuzzBody(f, "POST", "/api/v1/clusters", base, "clusters", "operations", "schedules", "ip_leases")
}

func FuzzVCenterRegistration(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/vcenters", domain.VCenterInput{Name: "vc-fz", Server: "https://vc.invalid/sdk", Username: "administrator@vsphere.local",
		Password: "secret", Thumbprint: "AB:CD"}, "vcenters", "operations")
}

func FuzzVCenterPatch(f *testing.F) {
	password, thumbprint, share := "new-secret", "AB:CD", false
	fuzzBody(f, "PATCH", "/api/v1/vcenters/vc-fz", domain.VCenterPatch{Password: &password, Thumbprint: &thumbprint,
		ShareServiceAccountWithClusters: &share, ClusterCredentials: &domain.ClusterAccountPatch{Username: "k8s", Password: "pw"}},
		"vcenters", "operations")
}

func FuzzIPPool(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/ippools", domain.IPPoolInput{Name: "fz-pool", CIDR: "127.73.0.0/24", RangeStart: "127.73.0.10",
		RangeEnd: "127.73.0.20", Gateway: "127.73.0.1", DNS: []string{"127.0.0.53"}}, "ip_pools")
}

func FuzzToken(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/tokens", domain.TokenInput{Name: "fz-token", Role: string(domain.RoleViewer), Project: domain.DefaultProject}, "api_tokens")
}

func FuzzClusterSetCreate(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/clustersets", api.ClusterSetRequest{
		ClusterSetSpec: domain.ClusterSetSpec{Name: "fz-set", Leader: "west", Members: []string{"east"},
			Gateways:            map[string]domain.NodeList{"west": {"west-default-0"}},
			GatewayIPPrecedence: domain.GatewayIPPrivate, EndpointIPType: domain.EndpointIPTypeCluster},
		FailurePolicy: domain.FailurePolicy{OnFailure: domain.OnFailureCompensate, DecisionTimeout: "1h"},
	}, "clustersets", "clusterset_members", "operations")
}

func FuzzClusterSetJoin(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/clustersets/set1/members", api.ClusterSetJoinRequest{
		ClusterSetJoin: domain.ClusterSetJoin{Cluster: "west", Gateways: domain.NodeList{"west-default-0"}},
		FailurePolicy:  domain.FailurePolicy{OnFailure: domain.OnFailureWait, DecisionTimeout: "1h"},
	}, "clusterset_members", "operations")
}

func FuzzSchedule(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/schedules", domain.ScheduleInput{Kind: domain.ScheduleBackup, Cluster: "east", Cron: "0 3 * * *",
		Jitter: "5m", Overlap: domain.OverlapSkip, ScheduleParams: domain.ScheduleParams{Retention: 3}}, "schedules")
}

func FuzzUpgrade(f *testing.F) {
	yes := true
	fuzzBody(f, "POST", "/api/v1/clusters/east/upgrade", domain.UpgradeRequest{KubernetesVersion: domain.KubernetesVersions().Default,
		Backup: &yes, MaxUnavailable: 1, DrainTimeout: "5m", Template: "tmpl"}, "operations")
}

func FuzzScale(f *testing.F) {
	three := 3
	fuzzBody(f, "POST", "/api/v1/clusters/east/scale", domain.ScaleRequest{Pool: "default", Replicas: &three, DrainTimeout: "5m"}, "operations")
}

func FuzzReplace(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/clusters/east/nodes/east-default-0/replace", domain.ReplaceRequest{DrainTimeout: "5m"}, "operations")
}

func FuzzBackupCreate(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/clusters/east/backups", domain.BackupRequest{Target: "local", Retention: 3}, "operations", "backups")
}

// FuzzOperationRetry sends bodies to a retry, whose body is an empty object: its seeds
// have unstorable keys (the type has no string field).
func FuzzOperationRetry(f *testing.F) {
	fuzzBody(f, "POST", "/api/v1/operations/{operation}/retry", map[string]string{"k": "v"}, "operations", "operation_events")
}

func FuzzDevFault(f *testing.F) {
	fuzzBody(f, "POST", "/dev/faults", api.DevFault{Fault: "vsphere.clone:vm=w-1"}, "dev faults")
}

// fuzzProjectMembers, fuzzProjectPlaces are members and placements the project seeds
// spoil field by field.
var (
	fuzzProjectMembers = []domain.ProjectMember{{Subject: "alice@example.com", Kind: domain.MemberPerson, Role: domain.RoleAdmin},
		{Subject: "fz-ci", Kind: domain.MemberToken, Role: domain.RoleViewer}}
	fuzzProjectPlaces = []domain.PlacementScope{{VCenter: "vc1", Datacenter: "DC0", ComputeCluster: "DC0_C0"}}
)

func FuzzProjectCreate(f *testing.F) {
	n := int64(4)
	fuzzBody(f, "POST", "/api/v1/projects", domain.ProjectInput{Name: "fz-new", Description: "fuzz", Members: fuzzProjectMembers,
		Quotas: domain.Quotas{Clusters: &n}, VCenters: []string{"vc1"}, IPPools: []string{"lab"}, Placements: fuzzProjectPlaces},
		"projects", "project_members")
}

// FuzzProjectPatch changes project fz-proj of the fuzz inventory.
func FuzzProjectPatch(f *testing.F) {
	n := int64(8)
	description, members, vcenters, pools, places := "fuzzed", fuzzProjectMembers, []string{"vc1"}, []string{"*"}, fuzzProjectPlaces
	fuzzBody(f, "PATCH", "/api/v1/projects/fz-proj", domain.ProjectPatch{Description: &description, Members: &members,
		Quotas: &domain.QuotasPatch{VCPUs: domain.QuotaChange{Set: true, Value: &n}}, VCenters: &vcenters, IPPools: &pools,
		Placements: &places}, "projects WHERE description = 'fuzzed'", "project_members")
}
