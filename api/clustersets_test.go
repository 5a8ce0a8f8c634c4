package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestClusterSetRequestsRejectedWriteNothing sends ClusterSet requests breaking each rule
// of issue 9's validation: each is 400 (the request alone) or 422 (against the inventory)
// naming exactly the bad fields, audited as a failed clusterset.create, and after each no
// set, no member and no operation was written. A server without the ClusterSet workflows
// answers a good request 503, also writing nothing.
func TestClusterSetRequestsRejectedWriteNothing(t *testing.T) {
	env := startClusterSetAPI(t, api.ClusterSetWorkflows{})
	setClusters(t, env)
	ctx := context.Background()
	// north is in a set already.
	other := domain.ClusterSetSpec{Name: "other", Leader: "north"}
	other.Defaults()
	if _, err := env.App.Store.CreateClusterSet(ctx, other, "test"); err != nil {
		t.Fatal(err)
	}
	operator := env.Token("op", domain.RoleOperator)
	before := countClusterSetRows(t, env)
	const badReq, preflight = http.StatusBadRequest, http.StatusUnprocessableEntity

	cases := []struct {
		name   string
		body   string
		status int
		fields []string // sorted, distinct
		says   string   // a part of the first field's message
	}{
		{"names", `{"name": "Lab", "leader": "east_1", "members": ["west", ""]}`,
			badReq, []string{"leader", "members[1]", "name"}, "DNS label"},
		{"a member listed twice", `{"name": "lab", "leader": "east", "members": ["west", "north", "west"]}`,
			badReq, []string{"members[2]"}, `"west" is listed twice (first as members[0])`},
		{"gateways of a cluster not in the set", `{"name": "lab", "leader": "east", "members": ["west"], "gateways": {"north": "north-cp-0"}}`,
			badReq, []string{"gateways.north"}, "neither the leader nor a member"},
		{"a gateway that is a number", `{"name": "lab", "leader": "east", "gateways": {"east": 5}}`,
			badReq, []string{"gateways"}, "must be a node name or an array of node names"},
		{"enums", `{"name": "lab", "leader": "east", "gateway_ip_precedence": "any", "endpoint_ip_type": "NodeIP", "on_failure": "pray"}`,
			badReq, []string{"endpoint_ip_type", "gateway_ip_precedence", "on_failure"}, "ClusterIP or PodIP"},
		{"an unknown field", `{"name": "lab", "leader": "east", "region": "emea"}`, badReq, []string{"region"}, "not a known field"},

		{"unknown clusters", `{"name": "lab", "leader": "nope", "members": ["west", "ghost"]}`,
			preflight, []string{"leader", "members[1]"}, `cluster "nope" does not exist`},
		{"not Ready", `{"name": "lab", "leader": "east", "members": ["young"]}`,
			preflight, []string{"members[0]"}, `cluster "young" is Provisioning; it must be Ready`},
		{"no Antrea", `{"name": "lab", "leader": "bare", "members": ["east"]}`,
			preflight, []string{"leader"}, `cluster "bare" does not run Antrea`},
		{"a cluster in a set already", `{"name": "lab", "leader": "east", "members": ["west", "north"]}`,
			preflight, []string{"members[1]"}, `cluster "north" is already in clusterset "other"`},
		{"overlapping pod CIDRs", `{"name": "lab", "leader": "east", "members": ["west", "twin"]}`,
			preflight, []string{"members[1]"}, `pod CIDR 10.10.0.0/16 of cluster "twin" overlaps pod CIDR 10.10.0.0/16 of cluster "east" (leader)`},
		{"dash-prefix pair", `{"name": "lab", "leader": "east", "members": ["west", "east-1"]}`,
			preflight, []string{"members[1]"}, `"east-1" and "east" form a dash-prefix pair`},
		{"gateway nodes that do not exist or are another cluster's", `{"name": "lab", "leader": "east", "members": ["west"],
			"gateways": {"east": "east-md-default-1", "west": ["west-cp-0", "west-md-default-9", "east-cp-0"]}}`,
			preflight, []string{"gateways.west"}, `node "west-md-default-9" is not a node of cluster "west"`},
		{"several rules at once", `{"name": "lab", "leader": "young", "members": ["bare", "east", "east-1"], "gateways": {"east": "x"}}`,
			preflight, []string{"gateways.east", "leader", "members[0]", "members[2]"}, `node "x" is not a node of cluster "east"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := readProblem(t, env.Do("POST", "/api/v1/clustersets", operator, c.body), c.status)
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
			if after := countClusterSetRows(t, env); after != before {
				t.Errorf("rows %+v after the request, %+v before", after, before)
			}
		})
	}
	creates := auditEvents(t, env, "clusterset.create")
	for _, status := range []int{badReq, preflight} {
		if !hasAudit(creates, "op", "clusterset/lab", domain.OutcomeFailure, status) {
			t.Errorf("no failed clusterset.create audit event with status %d in %+v", status, creates)
		}
	}

	// A taken name is 409 before the preflight.
	p := readProblem(t, env.Do("POST", "/api/v1/clustersets", operator, `{"name": "other", "leader": "east"}`), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/conflict" || !strings.Contains(p.Detail, "other") {
		t.Errorf("taken name: %+v", p)
	}

	// A good request passes every check, but this server cannot run the operation.
	good := `{"name": "lab", "leader": "east", "members": ["west"], "gateways": {"west": "west-md-default-0"}}`
	p = readProblem(t, env.Do("POST", "/api/v1/clustersets", operator, good), http.StatusServiceUnavailable)
	if p.Type != "https://clusterwright.dev/problems/unavailable" || !strings.Contains(p.Detail, "clusterset operations are not available") {
		t.Errorf("no workflows: %+v", p)
	}
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/api/v1/clustersets/other/members", `{"cluster": "east"}`},
		{"DELETE", "/api/v1/clustersets/other", ""},
	} {
		var body any
		if r.body != "" {
			body = r.body
		}
		readProblem(t, env.Do(r.method, r.path, operator, body), http.StatusServiceUnavailable)
	}
	if after := countClusterSetRows(t, env); after != before {
		t.Errorf("rows %+v after the unavailable requests, %+v before", after, before)
	}
}

// TestClusterSetRoutes follows a set through every route with workflows that only echo
// their input: who may call them, 202 with the operation and the input its workflow gets,
// what GET shows, 409 while an operation runs, for the leader leaving and for deleting the
// leader, 404s, the join's checks, and the audit trail.
func TestClusterSetRoutes(t *testing.T) {
	env := startClusterSetAPI(t, echoWorkflows)
	ids := setClusters(t, env)
	operator := env.Token("op", domain.RoleOperator)
	viewer := env.Token("view", domain.RoleViewer)
	body := `{"name": "lab", "leader": "east", "members": ["west", "east"], "gateways": {"west": ["west-md-default-0", "west-md-default-1"]},
		"on_failure": "compensate"}`

	readProblem(t, env.Do("POST", "/api/v1/clustersets", viewer, body), http.StatusForbidden)
	if rows := countClusterSetRows(t, env); rows != (clusterSetRows{}) {
		t.Fatalf("a denied create wrote %+v", rows)
	}

	// Form: 202 with the operation; the workflow gets the operation, the set and the policy.
	form := accepted(t, "create", env.Do("POST", "/api/v1/clustersets", operator, body))
	if form.Kind != domain.OpFormClusterSet || form.Target.Kind != "clusterset" || form.Target.Name != "lab" || form.Actor != "op" ||
		form.OnFailure != domain.OnFailureCompensate || form.WorkflowID != "clusterset/"+form.Target.ID ||
		!jsonEqual(form.Params, `{"leader":"east","members":["west"]}`) {
		t.Fatalf("form operation = %+v", form)
	}
	in := workflowInput(t, env, form)
	if in["operation_id"] != form.ID || in["clusterset_id"] != form.Target.ID ||
		in["policy"].(map[string]any)["on_failure"] != domain.OnFailureCompensate || in["policy"].(map[string]any)["decision_timeout"] != "24h0m0s" {
		t.Errorf("form input = %v", in)
	}

	// GET shows the set, its members (the leader first) and the running operation; the
	// clusters show their set.
	var set domain.ClusterSet
	env.Do("GET", "/api/v1/clustersets/lab", viewer, nil).JSON(t, &set)
	if set.ID != form.Target.ID || set.Leader != "east" || set.Phase != domain.ClusterSetPending || set.CreatedBy != "op" ||
		set.Operation == nil || set.Operation.ID != form.ID || set.Spec.GatewayIPPrecedence != domain.GatewayIPPrivate ||
		set.Spec.EndpointIPType != domain.EndpointIPTypeCluster || !slices.Equal(set.Spec.Gateways["west"], domain.NodeList{"west-md-default-0", "west-md-default-1"}) {
		t.Fatalf("set = %+v", set)
	}
	if len(set.Members) != 2 || set.Members[0].Cluster != "east" || !set.Members[0].Leader || set.Members[1].Cluster != "west" ||
		set.Members[1].ClusterID != ids["west"] || set.Members[1].State != domain.MemberJoining {
		t.Fatalf("members = %+v", set.Members)
	}
	var sets struct{ Items []domain.ClusterSet }
	env.Do("GET", "/api/v1/clustersets", viewer, nil).JSON(t, &sets)
	if len(sets.Items) != 1 || sets.Items[0].Name != "lab" || len(sets.Items[0].Members) != 2 {
		t.Fatalf("list = %+v", sets.Items)
	}
	for name, want := range map[string]*domain.ClusterSetRef{"east": {Name: "lab", Leader: true}, "west": {Name: "lab"}, "north": nil} {
		var c domain.Cluster
		env.Do("GET", "/api/v1/clusters/"+name, viewer, nil).JSON(t, &c)
		if (want == nil) != (c.ClusterSet == nil) || (want != nil && *want != *c.ClusterSet) {
			t.Errorf("cluster %s is in clusterset %+v, want %+v", name, c.ClusterSet, want)
		}
	}
	readProblem(t, env.Do("GET", "/api/v1/clustersets/nope", viewer, nil), http.StatusNotFound)

	// While the set forms, every other operation on it is busy, and writes nothing.
	before := countClusterSetRows(t, env)
	for _, req := range []struct{ method, path, body string }{
		{"DELETE", "/api/v1/clustersets/lab", ""},
		{"POST", "/api/v1/clustersets/lab/members", `{"cluster": "north"}`},
		{"DELETE", "/api/v1/clustersets/lab/members/west", ""},
	} {
		var b any
		if req.body != "" {
			b = req.body
		}
		p := readProblem(t, env.Do(req.method, req.path, operator, b), http.StatusConflict)
		if p.Type != "https://clusterwright.dev/problems/busy" || p.Operation != form.ID {
			t.Errorf("%s %s during the form: %+v", req.method, req.path, p)
		}
	}
	if after := countClusterSetRows(t, env); after != before {
		t.Errorf("rows %+v after the busy requests, %+v before", after, before)
	}
	// The leader of a set with members cannot be deleted.
	p := readProblem(t, env.Do("DELETE", "/api/v1/clusters/east", operator, nil), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/conflict" || !strings.Contains(p.Detail, "leads clusterset lab, which has 1 other members") {
		t.Errorf("delete the leader: %+v", p)
	}
	finishOperation(t, env, form)

	// Leave: the leader may not, a cluster that is not a member is 404, a bad policy 400.
	p = readProblem(t, env.Do("DELETE", "/api/v1/clustersets/lab/members/east", operator, nil), http.StatusConflict)
	if p.Type != "https://clusterwright.dev/problems/conflict" || !strings.Contains(p.Detail, "disband the set instead") {
		t.Errorf("the leader leaves: %+v", p)
	}
	readProblem(t, env.Do("DELETE", "/api/v1/clustersets/lab/members/north", operator, nil), http.StatusNotFound)
	readProblem(t, env.Do("DELETE", "/api/v1/clustersets/lab/members/west?decision_timeout=ever", operator, nil), http.StatusBadRequest)
	readProblem(t, env.Do("DELETE", "/api/v1/clustersets/lab/members/west", viewer, nil), http.StatusForbidden)
	leave := accepted(t, "leave", env.Do("DELETE", "/api/v1/clustersets/lab/members/west?decision_timeout=30m", operator, nil))
	if leave.Kind != domain.OpLeaveClusterSet || leave.Target.ID != set.ID || !jsonEqual(leave.Params, `{"cluster":"west"}`) || leave.DecisionTimeout != "30m" {
		t.Fatalf("leave operation = %+v", leave)
	}
	in = finishOperation(t, env, leave)
	if in["cluster_id"] != ids["west"] || in["clusterset_id"] != set.ID || in["operation_id"] != leave.ID {
		t.Errorf("leave input = %v", in)
	}

	// Join: checked like forming (400, then 422, each writing nothing), then recorded as a
	// Joining member with its gateways in the spec. west is still a member (its leave only
	// echoed) until the test removes it as the workflow would.
	before = countClusterSetRows(t, env)
	for _, c := range []struct {
		body   string
		status int
		field  string
		says   string
	}{
		{`{}`, http.StatusBadRequest, "cluster", "is required"},
		{`{"cluster": "north", "gateways": 5}`, http.StatusBadRequest, "gateways", "must be a node name or an array of node names"},
		{`{"cluster": "north", "gateways": []}`, http.StatusBadRequest, "gateways", "names no node"},
		{`{"cluster": "ghost"}`, http.StatusUnprocessableEntity, "cluster", `cluster "ghost" does not exist`},
		{`{"cluster": "west"}`, http.StatusUnprocessableEntity, "cluster", `is already in clusterset "lab"`},
		{`{"cluster": "twin"}`, http.StatusUnprocessableEntity, "cluster", `overlaps pod CIDR 10.10.0.0/16 of cluster "east" (a member)`},
		{`{"cluster": "east-1"}`, http.StatusUnprocessableEntity, "cluster", "dash-prefix pair"},
		{`{"cluster": "north", "gateways": "west-cp-0"}`, http.StatusUnprocessableEntity, "gateways", `node "west-cp-0" is not a node of cluster "north"`},
	} {
		p := readProblem(t, env.Do("POST", "/api/v1/clustersets/lab/members", operator, c.body), c.status)
		if got := p.fieldNames(t); !slices.Equal(got, []string{c.field}) || !strings.Contains(p.message(c.field), c.says) {
			t.Errorf("join %s: %+v, want %s saying %q", c.body, p.Errors, c.field, c.says)
		}
		if after := countClusterSetRows(t, env); after != before {
			t.Errorf("join %s wrote rows: %+v, before %+v", c.body, after, before)
		}
	}
	if err := env.App.Store.RemoveClusterSetMember(context.Background(), set.ID, ids["west"]); err != nil {
		t.Fatal(err)
	}
	join := accepted(t, "join", env.Do("POST", "/api/v1/clustersets/lab/members", operator, `{"cluster": "north", "gateways": "north-cp-0"}`))
	if join.Kind != domain.OpJoinClusterSet || !jsonEqual(join.Params, `{"cluster":"north"}`) {
		t.Fatalf("join operation = %+v", join)
	}
	set = domain.ClusterSet{} // decoding into the old value would merge its maps
	env.Do("GET", "/api/v1/clustersets/lab", viewer, nil).JSON(t, &set)
	if north, ok := set.Member("north"); !ok || north.State != domain.MemberJoining || north.Leader ||
		!slices.Equal(set.Spec.Members, []string{"east", "north"}) || !slices.Equal(set.Spec.Gateways["north"], domain.NodeList{"north-cp-0"}) ||
		set.Spec.Gateways["west"] != nil || set.Operation == nil || set.Operation.ID != join.ID {
		t.Fatalf("after the join: %+v", set)
	}
	in = finishOperation(t, env, join)
	if in["cluster_id"] != ids["north"] || in["clusterset_id"] != set.ID {
		t.Errorf("join input = %v", in)
	}

	// Disband.
	readProblem(t, env.Do("DELETE", "/api/v1/clustersets/lab", viewer, nil), http.StatusForbidden)
	readProblem(t, env.Do("DELETE", "/api/v1/clustersets/nope", operator, nil), http.StatusNotFound)
	disband := accepted(t, "disband", env.Do("DELETE", "/api/v1/clustersets/lab?on_failure=wait", operator, nil))
	if disband.Kind != domain.OpDisbandClusterSet || disband.Target.ID != set.ID || disband.Params != nil {
		t.Fatalf("disband operation = %+v", disband)
	}
	in = finishOperation(t, env, disband)
	if in["clusterset_id"] != set.ID || in["operation_id"] != disband.ID {
		t.Errorf("disband input = %v", in)
	}
	// The operations list shows them by target.
	var ops struct{ Items []domain.Operation }
	env.Do("GET", "/api/v1/operations?target=lab", viewer, nil).JSON(t, &ops)
	var kinds []string
	for _, op := range ops.Items {
		kinds = append(kinds, op.Kind)
	}
	if !slices.Equal(kinds, []string{domain.OpDisbandClusterSet, domain.OpJoinClusterSet, domain.OpLeaveClusterSet, domain.OpFormClusterSet}) {
		t.Errorf("operations of lab: %v", kinds)
	}

	// The audit log has every attempt, with its outcome.
	for _, want := range []struct {
		action, actor, target, outcome string
		status                         int
	}{
		{"clusterset.create", "view", "", domain.OutcomeDenied, 403},
		{"clusterset.create", "op", "clusterset/lab", domain.OutcomeSuccess, 202},
		{"clusterset.disband", "op", "clusterset/lab", domain.OutcomeFailure, 409},
		{"clusterset.disband", "view", "clusterset/lab", domain.OutcomeDenied, 403},
		{"clusterset.disband", "op", "clusterset/nope", domain.OutcomeFailure, 404},
		{"clusterset.disband", "op", "clusterset/lab", domain.OutcomeSuccess, 202},
		{"clusterset.join", "op", "clusterset/lab", domain.OutcomeFailure, 409},
		{"clusterset.join", "op", "clusterset/lab", domain.OutcomeFailure, 422},
		{"clusterset.join", "op", "clusterset/lab", domain.OutcomeSuccess, 202},
		{"clusterset.leave", "op", "clusterset/lab/east", domain.OutcomeFailure, 409},
		{"clusterset.leave", "view", "clusterset/lab/west", domain.OutcomeDenied, 403},
		{"clusterset.leave", "op", "clusterset/lab/west", domain.OutcomeSuccess, 202},
		{"cluster.delete", "op", "cluster/east", domain.OutcomeFailure, 409},
	} {
		if !hasAudit(auditEvents(t, env, want.action), want.actor, want.target, want.outcome, want.status) {
			t.Errorf("no %s audit event by %s on %q: %s %d", want.action, want.actor, want.target, want.outcome, want.status)
		}
	}
	var joins []json.RawMessage
	for _, e := range auditEvents(t, env, "clusterset.join") {
		if e.Status == http.StatusAccepted {
			joins = append(joins, e.Detail)
		}
	}
	if len(joins) != 1 || !jsonEqual(joins[0], `{"cluster":"north"}`) {
		t.Errorf("the join's audit detail: %s", joins)
	}
}

// jsonEqual reports whether got is the JSON value want, whatever its spacing.
func jsonEqual(got json.RawMessage, want string) bool {
	var g, w any
	return json.Unmarshal(got, &g) == nil && json.Unmarshal([]byte(want), &w) == nil && reflect.DeepEqual(g, w)
}

// accepted checks a 202 reply and returns its operation, which Location points at.
func accepted(t *testing.T, what string, r apptest.Response) domain.Operation {
	t.Helper()
	if r.Status != http.StatusAccepted {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	if loc := r.Header.Get("Location"); loc != "/api/v1/operations/"+reply.Operation.ID {
		t.Errorf("%s: Location = %q, want /api/v1/operations/%s", what, loc, reply.Operation.ID)
	}
	return reply.Operation
}
