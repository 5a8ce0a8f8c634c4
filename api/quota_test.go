package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
)

const quotaExceededType = "https://clusterwright.dev/problems/quota-exceeded"

// createQuotaProject creates a project allowing vc1, the IP pool "lab" and the simulator's
// default compute cluster, with quotas q.
func createQuotaProject(t *testing.T, env *apptest.Env, name string, q domain.Quotas) {
	t.Helper()
	in := domain.ProjectInput{Name: name, Quotas: q, VCenters: []string{"vc1"}, IPPools: []string{"lab"},
		Placements: []domain.PlacementScope{{VCenter: "vc1", Datacenter: sim.DefaultDatacenter, ComputeCluster: sim.DefaultCluster}}}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Store.CreateProject(context.Background(), in, "test"); err != nil {
		t.Fatal(err)
	}
}

func limitOf(n int64) *int64 { return &n }

// projectRequest is a request for validSpec(name) (3 nodes of 2 vCPUs) in project.
func projectRequest(name, project string) api.ClusterRequest {
	spec := validSpec(name)
	return api.ClusterRequest{ClusterSpec: spec, Project: project}
}

// TestCreateClusterInProject: POST /api/v1/clusters puts the cluster into the project it
// names (default: "default"); an unknown project, or a vCenter, IP pool or placement the
// project does not allow, is 422 naming the field; a cluster over the project's quota is
// 422 quota-exceeded naming the quota with the numbers; nothing is written by a refusal,
// which is audited.
func TestCreateClusterInProject(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, nil)
	operator := env.Token("op", domain.RoleOperator)
	createQuotaProject(t, env, "team-a", domain.Quotas{VCPUs: limitOf(6)})

	for _, c := range []struct {
		name   string
		change func(*api.ClusterRequest)
		field  string
		says   string
	}{
		{"unknown project", func(r *api.ClusterRequest) { r.Project = "nope" }, "project", `no project named "nope"`},
		{"IP pool not allowed", func(r *api.ClusterRequest) { r.Network.IPPool = "tiny" }, "network.ip_pool",
			`project team-a does not allow IP pool "tiny"`},
		{"compute cluster not allowed", func(r *api.ClusterRequest) { r.Placement.ComputeCluster = "DC0_C1" }, "placement.compute_cluster",
			"project team-a does not allow placement on vc1/DC0/DC0_C1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := projectRequest("refused", "team-a")
			c.change(&req)
			p := readProblem(t, env.Do("POST", "/api/v1/clusters", operator, req), http.StatusUnprocessableEntity)
			if !slices.Contains(p.fieldNames(t), c.field) || !slices.ContainsFunc(p.Errors, func(e domain.FieldError) bool {
				return e.Field == c.field && e.Message == c.says
			}) {
				t.Errorf("errors %+v, want %s: %s", p.Errors, c.field, c.says)
			}
			assertNoClusterWritten(t, env)
		})
	}

	// The first cluster takes the project's whole vCPU quota, exactly.
	r := env.Do("POST", "/api/v1/clusters", operator, projectRequest("a1", "team-a"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("first cluster: %d %s", r.Status, r.Body)
	}
	var c api.ClusterReply
	env.Do("GET", "/api/v1/clusters/a1", operator, nil).JSON(t, &c)
	if c.Project != "team-a" {
		t.Errorf("project of a1 = %q", c.Project)
	}

	// The next one is over it.
	clusters := countRows(t, env, "clusters", "")
	p := readProblem(t, env.Do("POST", "/api/v1/clusters", operator, projectRequest("a2", "team-a")), http.StatusUnprocessableEntity)
	want := []domain.FieldError{{Field: "quotas.vcpus", Message: "project team-a would hold 12 vCPUs, over its quota of 6 (holds 6, this asks 6)"}}
	if p.Type != quotaExceededType || !slices.Equal(p.Errors, want) || !strings.Contains(p.Detail, "team-a") {
		t.Fatalf("over quota: %+v", p)
	}
	if n := countRows(t, env, "clusters", ""); n != clusters {
		t.Errorf("clusters: %d rows, then %d", clusters, n)
	}
	if !hasAudit(auditEvents(t, env, "cluster.create"), "op", "cluster/a2", domain.OutcomeFailure, http.StatusUnprocessableEntity) {
		t.Error("the refusal over quota is not audited")
	}

	// Without a project, the cluster goes into the default project, which has no quota.
	r = env.Do("POST", "/api/v1/clusters", operator, validSpec("d1"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("cluster of the default project: %d %s", r.Status, r.Body)
	}
	env.Do("GET", "/api/v1/clusters/d1", operator, nil).JSON(t, &c)
	if c.Project != domain.DefaultProject {
		t.Errorf("project of d1 = %q", c.Project)
	}
}

// TestScaleQuota: a scale up reserves the nodes it adds of its project's quotas while it
// runs (shown in the project's usage); one for which there is no room beside the
// clusters and that reservation is 422 quota-exceeded and starts nothing, and so is a
// node replacement (its new VM); a scale down is allowed at the quota.
func TestScaleQuota(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, nil)
	operator := env.Token("op", domain.RoleOperator)
	version := domain.KubernetesVersions().Default
	createQuotaProject(t, env, "team-b", domain.Quotas{VCPUs: limitOf(14)})
	for _, name := range []string{"east", "west"} { // 6 vCPUs each
		recordDay2Cluster(t, env, name, version, domain.PhaseReady, "lab")
		execSQL(t, env, `UPDATE clusters SET project_id = (SELECT id FROM projects WHERE name = 'team-b' AND deleted_at IS NULL)
			WHERE name = '`+name+`'`)
	}

	// East's scale up takes the last 2 vCPUs, exactly.
	op := accepted202(t, env.Do("POST", "/api/v1/clusters/east/scale", operator, map[string]any{"pool": "default", "replicas": 3}))
	var project api.ProjectReply
	env.Do("GET", "/api/v1/projects/team-b", operator, nil).JSON(t, &project)
	wantReserved := domain.Resources{Nodes: 1, VCPUs: 2, MemoryMiB: 4096, DiskGiB: 40}
	if project.Usage.VCPUs != 12 || project.Usage.Reserved != wantReserved {
		t.Errorf("usage while east scales (%s): %+v, want 12 vCPUs and %+v reserved", op.ID, project.Usage, wantReserved)
	}

	// West's is over the quota, and starts nothing.
	ops := day2Count(t, env)
	p := readProblem(t, env.Do("POST", "/api/v1/clusters/west/scale", operator, map[string]any{"pool": "default", "replicas": 3}),
		http.StatusUnprocessableEntity)
	want := []domain.FieldError{{Field: "quotas.vcpus",
		Message: "project team-b would hold 16 vCPUs, over its quota of 14 (holds 12, running operations reserve 2, this asks 2)"}}
	if p.Type != quotaExceededType || !slices.Equal(p.Errors, want) {
		t.Fatalf("scale over quota: %+v", p)
	}
	if n := day2Count(t, env); n != ops {
		t.Errorf("operations: %d, then %d", ops, n)
	}
	if !hasAudit(auditEvents(t, env, "cluster.scale"), "op", "cluster/west", domain.OutcomeFailure, http.StatusUnprocessableEntity) {
		t.Error("the refused scale is not audited")
	}

	// So is the replacement of one of its nodes, whose new VM joins before the old goes.
	p = readProblem(t, env.Do("POST", "/api/v1/clusters/west/nodes/west-default-0/replace", operator, nil), http.StatusUnprocessableEntity)
	if p.Type != quotaExceededType || !slices.Equal(p.Errors, want) {
		t.Fatalf("replace over quota: %+v", p)
	}
	if n := day2Count(t, env); n != ops {
		t.Errorf("operations: %d, then %d", ops, n)
	}

	// A scale down takes nothing more, and is allowed.
	accepted202(t, env.Do("POST", "/api/v1/clusters/west/scale", operator, map[string]any{"pool": "default", "replicas": 1}))
}

// TestCreateClusterQuotaRace sends concurrent POST /api/v1/clusters for a project's last
// room, round after round: exactly one is accepted each time, the others are 422
// quota-exceeded.
func TestCreateClusterQuotaRace(t *testing.T) {
	env := startClusterAPI(t, sim.VCenterOptions{}, nil)
	operator := env.Token("op", domain.RoleOperator)
	for round := range 3 {
		project := fmt.Sprintf("race-%d", round)
		createQuotaProject(t, env, project, domain.Quotas{Clusters: limitOf(1)})
		const racers = 2
		statuses := make([]int, racers)
		types := make([]string, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body, err := json.Marshal(projectRequest(fmt.Sprintf("%s-%d", project, i), project))
				if err != nil {
					t.Error(err)
					return
				}
				<-start
				statuses[i], types[i] = postRacing(t, env, operator, body)
			}()
		}
		close(start)
		wg.Wait()
		accepted, refused := 0, 0
		for i, s := range statuses {
			switch {
			case s == http.StatusAccepted:
				accepted++
			case s == http.StatusUnprocessableEntity && types[i] == quotaExceededType:
				refused++
			}
		}
		if accepted != 1 || refused != racers-1 {
			t.Fatalf("%s: statuses %v (types %v), want one 202 and the rest 422 quota-exceeded", project, statuses, types)
		}
		if n := countRows(t, env, "clusters c JOIN projects p ON p.id = c.project_id", "p.name = $1", project); n != 1 {
			t.Fatalf("%s holds %d clusters", project, n)
		}
	}
}

// racingClient is postRacing's client: no request of a test may wait for ever.
var racingClient = &http.Client{Timeout: 3 * time.Minute}

// postRacing posts a cluster request and returns the status and the problem type (if
// any); it may run outside the test's goroutine, so it reports failures with t.Error.
func postRacing(t *testing.T, env *apptest.Env, token string, body []byte) (int, string) {
	req, err := http.NewRequest("POST", env.URL+"/api/v1/clusters", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := racingClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
		return resp.StatusCode, ""
	}
	var p struct{ Type string }
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != http.StatusAccepted && p.Type != quotaExceededType {
		t.Errorf("racing POST: %d %s", resp.StatusCode, b)
	}
	return resp.StatusCode, p.Type
}
