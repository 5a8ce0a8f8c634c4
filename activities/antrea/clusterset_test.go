package antrea_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/clusterwright/clusterwright/activities/antrea"
	"github.com/clusterwright/clusterwright/activities/antrea/antreatest"
)

const set = "cs-test"

// TestClusterSet forms a ClusterSet of three clusters of the simulated
// datacenter with the activities, as the workflows will, and checks what
// each step leaves in the clusters: forming makes every member ready with a
// Gateway and its peers' ClusterInfo; repeating every activity writes
// nothing; a changed configuration restarts the member controller; a member
// whose token is wrong never joins and says why; leave, join again and
// disband leave every cluster as it was before the set.
func TestClusterSet(t *testing.T) {
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	began := time.Now()
	byID := startClusters(t, log)
	t.Logf("3 one-node clusters booted with Antrea in %s", time.Since(began).Round(time.Millisecond))
	byName := map[string]*testCluster{}
	for _, c := range byID {
		byName[c.ref.Name] = c
	}
	lead, east, west := byName["cs-lead"], byName["cs-east"], byName["cs-west"]
	all := []*testCluster{lead, east, west}
	before := map[string]antreatest.Snapshot{}
	for _, c := range all {
		before[c.ref.Name] = snapshot(t, c)
	}
	e := &env{t: t, acts: &antrea.Activities{Clusters: access{byID}, Logger: log}, lead: lead}
	var results []any // every result, searched for tokens at the end

	t.Run("form: leader and two members", func(t *testing.T) {
		e.t = t
		sw := stopwatch{}
		sw.time(t, "EnsureLeader", func() error {
			return e.acts.EnsureLeader(t.Context(), antrea.LeaderRequest{Set: set, Leader: lead.ref})
		})
		for _, c := range all {
			e.join(&sw, c)
		}
		var st antrea.Status
		sw.time(t, "WaitClusterSet", func() error {
			var err error
			st, err = e.acts.WaitClusterSet(t.Context(), e.waitFor(all...))
			return err
		})
		results = append(results, st)
		t.Logf("formed a ClusterSet of 3 in %s; waiting for the controllers: %s (leader rollout %s, member rollouts %s, tokens %s, members ready %s); the rest %s",
			sw.total(), sw.sum("EnsureLeader", "EnsureMemberController", "ConnectMember", "WaitClusterSet"),
			sw.sum("EnsureLeader"), sw.sum("EnsureMemberController"), sw.sum("ConnectMember"), sw.sum("WaitClusterSet"),
			sw.sum("AnnotateGateways"))
		assertFormed(t, st, all)
		assertWiring(t, lead, all)
	})
	if t.Failed() {
		return
	}

	t.Run("repeating every activity writes nothing", func(t *testing.T) {
		e.t = t
		was := map[string]antreatest.Snapshot{}
		for _, c := range all {
			was[c.ref.Name] = versions(t, c)
		}
		if err := e.acts.EnsureLeader(t.Context(), antrea.LeaderRequest{Set: set, Leader: lead.ref}); err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			if res := e.join(&stopwatch{}, c); res.Restarted {
				t.Errorf("%s: the unchanged configuration restarted the controller", c.ref.Name)
			}
		}
		st, err := e.acts.WaitClusterSet(t.Context(), e.waitFor(all...))
		if err != nil {
			t.Fatal(err)
		}
		assertFormed(t, st, all)
		for _, c := range all {
			now := versions(t, c)
			if !maps.Equal(now, was[c.ref.Name]) {
				for k, v := range now {
					if was[c.ref.Name][k] != v {
						t.Errorf("%s: %s was %q, now %q", c.ref.Name, k, was[c.ref.Name][k], v)
					}
				}
			}
			// A member's 7 objects (ClusterRole and binding, ServiceAccount,
			// ConfigMap, Deployment, token copy, ClusterSet), the leader's more.
			if labelled := len(now) - 1; labelled < 7 {
				t.Errorf("%s: only %d objects labelled as Clusterwright's: %v", c.ref.Name, labelled, slices.Sorted(maps.Keys(now)))
			}
		}
	})

	t.Run("a changed configuration restarts the member controller", func(t *testing.T) {
		e.t = t
		cfg := e.config(east)
		cfg.EndpointIPType = "PodIP"
		hash := templateHash(t, east)
		res, err := e.acts.EnsureMemberController(t.Context(), antrea.MemberRequest{Set: set, Cluster: east.ref, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		cm, err := east.kube.CoreV1().ConfigMaps(antrea.MemberNamespace).Get(t.Context(), "antrea-mc-controller-config", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Restarted || templateHash(t, east) == hash || templateHash(t, east) != res.ConfigHash ||
			!strings.Contains(cm.Data["controller_manager_config.yaml"], "endpointIPType: PodIP") {
			t.Errorf("result %+v, pod template hash %s (was %s), config:\n%s", res, templateHash(t, east), hash, cm.Data["controller_manager_config.yaml"])
		}
		res, err = e.acts.EnsureMemberController(t.Context(), antrea.MemberRequest{Set: set, Cluster: east.ref, Config: e.config(east)})
		if err != nil || !res.Restarted || templateHash(t, east) != hash {
			t.Errorf("back to the first configuration: %+v, %v; pod template hash %s, want %s", res, err, templateHash(t, east), hash)
		}
		if _, err := e.acts.WaitClusterSet(t.Context(), e.waitFor(all...)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a joined member leaves: the leader drops it", func(t *testing.T) {
		e.t = t
		began := time.Now()
		e.leave(west)
		t.Logf("west left in %s", time.Since(began).Round(time.Millisecond))
		assertSameSnapshot(t, west, before[west.ref.Name])
		assertNotOnLeader(t, lead, west)
		st, err := e.acts.WaitClusterSet(t.Context(), e.waitFor(lead, east))
		if err != nil {
			t.Fatal(err)
		}
		assertFormed(t, st, []*testCluster{lead, east})
	})

	t.Run("a member with a wrong token never joins and says why", func(t *testing.T) {
		e.t = t
		ctx := t.Context()
		// The fault: the member's copy of its token is wrong before its
		// controller first starts.
		if err := e.acts.ConnectMember(ctx, antrea.ConnectRequest{Set: set, Leader: lead.ref, Member: west.ref}); err != nil {
			t.Fatal(err)
		}
		secrets := west.kube.CoreV1().Secrets(antrea.MemberNamespace)
		s, err := secrets.Get(ctx, set+"-leader-token", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Data["token"] = []byte("not-a-token")
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.acts.EnsureMemberController(ctx, antrea.MemberRequest{Set: set, Cluster: west.ref, Config: e.config(west)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.acts.AnnotateGateways(ctx, antrea.GatewaysRequest{Set: set, Cluster: west.ref}); err != nil {
			t.Fatal(err)
		}
		req := e.waitFor(all...)
		req.Timeout = 6 * time.Second
		st, err := e.acts.WaitClusterSet(ctx, req)
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != antrea.ErrTypeNotReady || appErr.NonRetryable() {
			t.Fatalf("WaitClusterSet: %v, want a retryable %s error", err, antrea.ErrTypeNotReady)
		}
		var details antrea.Status
		if err := appErr.Details(&details); err != nil || details.Ready || len(details.Members) != 3 {
			t.Errorf("error details: %+v, %v", details, err)
		}
		results = append(results, st, err.Error())
		ms := member(st, "cs-west")
		t.Logf("west: %s", ms.Message)
		if st.Ready || ms.Ready || !strings.Contains(ms.Message, "Unauthorized") || !strings.Contains(err.Error(), "Unauthorized") {
			t.Errorf("status %+v, error %v: want west not ready, saying Unauthorized", st, err)
		}
		for _, other := range []string{"cs-lead", "cs-east"} {
			if msg := member(st, other).Message; msg != "no ClusterInfoImport of cs-west" {
				t.Errorf("%s: %q, want it to miss only cs-west's ClusterInfo", other, msg)
			}
		}
		assertNotAnnounced(t, lead, west)
		e.leave(west)
		assertSameSnapshot(t, west, before[west.ref.Name])
		assertNotOnLeader(t, lead, west)
	})

	t.Run("a member leaves, both join again", func(t *testing.T) {
		e.t = t
		e.leave(east)
		assertSameSnapshot(t, east, before[east.ref.Name])
		assertNotOnLeader(t, lead, east)
		sw := stopwatch{}
		for _, c := range []*testCluster{east, west} {
			e.join(&sw, c)
		}
		st, err := e.acts.WaitClusterSet(t.Context(), e.waitFor(all...))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("east and west joined again in %s", sw.total())
		assertFormed(t, st, all)
		st, err = e.acts.ClusterSetStatus(t.Context(), e.waitFor(all...).StatusRequest)
		if err != nil {
			t.Fatal(err)
		}
		assertFormed(t, st, all)
		results = append(results, st)
	})

	t.Run("disband: every cluster as before the set", func(t *testing.T) {
		e.t = t
		began := time.Now()
		for _, c := range []*testCluster{east, west, lead} {
			e.leave(c)
		}
		if err := e.acts.DisbandLeader(t.Context(), antrea.LeaderRequest{Set: set, Leader: lead.ref}); err != nil {
			t.Fatal(err)
		}
		t.Logf("disbanded in %s", time.Since(began).Round(time.Millisecond))
		for _, c := range all {
			assertSameSnapshot(t, c, before[c.ref.Name])
		}
		// Again: nothing left to do.
		e.leave(east)
		if err := e.acts.DisbandLeader(t.Context(), antrea.LeaderRequest{Set: set, Leader: lead.ref}); err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			assertSameSnapshot(t, c, before[c.ref.Name])
		}
	})

	t.Run("what no retry fixes", func(t *testing.T) {
		e.t = t
		ctx := t.Context()
		err := e.acts.EnsureLeader(ctx, antrea.LeaderRequest{Set: "Not_A_Label", Leader: lead.ref})
		assertErrType(t, err, antrea.ErrTypeInvalidInput, true)
		_, err = e.acts.AnnotateGateways(ctx, antrea.GatewaysRequest{Set: set, Cluster: east.ref, Nodes: []string{"no-such-node"}})
		assertErrType(t, err, antrea.ErrTypeUnknownNode, true)
		_, err = e.acts.EnsureMemberController(ctx, antrea.MemberRequest{Set: set, Cluster: east.ref, Config: antrea.MemberConfig{GatewayIPPrecedence: "sideways"}})
		assertErrType(t, err, antrea.ErrTypeInvalidInput, true)
		assertSameSnapshot(t, east, before[east.ref.Name])
	})

	t.Run("no token in logs, results or errors", func(t *testing.T) {
		text := logs.String()
		b, _ := json.Marshal(results)
		for _, tok := range e.tokens {
			if strings.Contains(text, tok) || strings.Contains(string(b), tok) {
				t.Errorf("a member token (%d bytes) appears in the logs or results", len(tok))
			}
		}
		if len(e.tokens) < 3 {
			t.Errorf("saw %d tokens, want at least 3", len(e.tokens))
		}
	})
}

// env runs the activities of the test.
type env struct {
	t    *testing.T
	acts *antrea.Activities
	lead *testCluster
	// tokens are the member tokens seen, to look for in logs and results.
	tokens []string
}

// config is a member's configuration as the workflow would give it.
func (e *env) config(c *testCluster) antrea.MemberConfig {
	return antrea.MemberConfig{PodCIDRs: []string{c.podCIDR}, ServiceCIDR: c.nt.ServiceSubnet}
}

// join runs a member's activities of forming and joining, timed.
func (e *env) join(sw *stopwatch, c *testCluster) antrea.MemberResult {
	t := e.t
	t.Helper()
	ctx := t.Context()
	var res antrea.MemberResult
	sw.time(t, "EnsureMemberController", func() error {
		var err error
		res, err = e.acts.EnsureMemberController(ctx, antrea.MemberRequest{Set: set, Cluster: c.ref, Config: e.config(c)})
		return err
	})
	sw.time(t, "AnnotateGateways", func() error {
		gw, err := e.acts.AnnotateGateways(ctx, antrea.GatewaysRequest{Set: set, Cluster: c.ref})
		if err == nil && !slices.Equal(gw.Candidates, []string{c.node}) {
			err = fmt.Errorf("candidates %v, want [%s]", gw.Candidates, c.node)
		}
		return err
	})
	sw.time(t, "ConnectMember", func() error {
		return e.acts.ConnectMember(ctx, antrea.ConnectRequest{Set: set, Leader: e.lead.ref, Member: c.ref})
	})
	if s, err := e.lead.kube.CoreV1().Secrets(antrea.LeaderNamespace).Get(ctx, c.ref.Name+"-member-token", metav1.GetOptions{}); err == nil {
		e.tokens = append(e.tokens, string(s.Data[corev1.ServiceAccountTokenKey]))
	}
	return res
}

// leave runs LeaveMember.
func (e *env) leave(c *testCluster) {
	e.t.Helper()
	if err := e.acts.LeaveMember(e.t.Context(), antrea.LeaveRequest{Set: set, Leader: e.lead.ref, Member: c.ref}); err != nil {
		e.t.Fatalf("%s leaves: %v", c.ref.Name, err)
	}
}

// waitFor asks to wait for a set of the given members.
func (e *env) waitFor(members ...*testCluster) antrea.WaitRequest {
	req := antrea.WaitRequest{StatusRequest: antrea.StatusRequest{Set: set, Leader: e.lead.ref}, Timeout: time.Minute}
	for _, c := range members {
		req.Members = append(req.Members, c.ref)
	}
	return req
}

// stopwatch times the activities by name.
type stopwatch map[string]time.Duration

func (sw stopwatch) time(t *testing.T, name string, f func() error) {
	t.Helper()
	began := time.Now()
	err := f()
	sw[name] += time.Since(began)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func (sw stopwatch) sum(names ...string) time.Duration {
	var d time.Duration
	for _, n := range names {
		d += sw[n]
	}
	return d.Round(time.Millisecond)
}

func (sw stopwatch) total() time.Duration {
	return sw.sum(slices.Collect(maps.Keys(sw))...)
}

// member returns a member's status.
func member(st antrea.Status, name string) antrea.MemberStatus {
	for _, m := range st.Members {
		if m.Cluster == name {
			return m
		}
	}
	return antrea.MemberStatus{}
}

// assertFormed checks that the set is ready with each member ready, its
// Node the active Gateway and the only candidate, importing every peer.
func assertFormed(t *testing.T, st antrea.Status, members []*testCluster) {
	t.Helper()
	n := len(members)
	if !st.Ready || st.TotalClusters != n || st.ReadyClusters != n || len(st.Members) != n || st.Message != "" {
		t.Errorf("status: ready %v, %d of %d clusters ready, %d members, message %q; want all %d ready",
			st.Ready, st.ReadyClusters, st.TotalClusters, len(st.Members), st.Message, n)
	}
	for _, c := range members {
		ms := member(st, c.ref.Name)
		var peers []string
		for _, p := range members {
			if p != c {
				peers = append(peers, p.ref.Name)
			}
		}
		slices.Sort(peers)
		if !ms.Ready || ms.Gateway.Active != c.node || !slices.Equal(ms.Gateway.Candidates, []string{c.node}) ||
			!slices.Equal(ms.Imports, peers) || ms.Leader != (c.ref.Name == "cs-lead") {
			t.Errorf("member %s: %+v; want ready, gateway %s, imports %v", c.ref.Name, ms, c.node, peers)
		}
	}
}

// assertWiring checks the objects of the procedure as kubectl shows them.
func assertWiring(t *testing.T, lead *testCluster, members []*testCluster) {
	t.Helper()
	ctx := t.Context()
	for _, c := range members {
		name := c.ref.Name + "-member-token"
		sa, err := lead.kube.CoreV1().ServiceAccounts(antrea.LeaderNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || sa.Annotations[antrea.ClusterIDAnnotation] != c.ref.Name || sa.Labels[antrea.LabelMember] != c.ref.Name {
			t.Errorf("leader's ServiceAccount %s: %v, %v", name, sa.ObjectMeta, err)
		}
		issued, err := lead.kube.CoreV1().Secrets(antrea.LeaderNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || issued.Type != corev1.SecretTypeServiceAccountToken {
			t.Fatalf("leader's token Secret %s: %v", name, err)
		}
		copied, err := c.kube.CoreV1().Secrets(antrea.MemberNamespace).Get(ctx, set+"-leader-token", metav1.GetOptions{})
		if err != nil || copied.Type != corev1.SecretTypeOpaque || len(copied.Data) != 2 ||
			string(copied.Data["token"]) != string(issued.Data["token"]) || string(copied.Data["ca.crt"]) != string(issued.Data["ca.crt"]) {
			t.Errorf("%s's token copy: type %s, %d keys, same token and CA as issued: %v, %v; %v", c.ref.Name, copied.Type, len(copied.Data),
				string(copied.Data["token"]) == string(issued.Data["token"]), string(copied.Data["ca.crt"]) == string(issued.Data["ca.crt"]), err)
		}
		cs, err := c.dyn.Resource(antreatest.MulticlusterKinds()[0].GVR).Namespace(antrea.MemberNamespace).Get(ctx, set, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		leaders, _, _ := unstructured.NestedSlice(cs.Object, "spec", "leaders")
		want := map[string]any{"clusterID": "cs-lead", "server": "https://" + lead.nt.Endpoint, "secret": set + "-leader-token"}
		if id, _, _ := unstructured.NestedString(cs.Object, "spec", "clusterID"); id != c.ref.Name || len(leaders) != 1 || !maps.Equal(leaders[0].(map[string]any), want) {
			t.Errorf("%s's ClusterSet spec: %v", c.ref.Name, cs.Object["spec"])
		}
		d, err := c.kube.AppsV1().Deployments(antrea.MemberNamespace).Get(ctx, "antrea-mc-controller", metav1.GetOptions{})
		if err != nil || !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, "member") ||
			d.Spec.Template.Spec.Containers[0].Image != "antrea/antrea-mc-controller:v2.7.0" {
			t.Errorf("%s's member controller: %v", c.ref.Name, err)
		}
	}
	d, err := lead.kube.AppsV1().Deployments(antrea.LeaderNamespace).Get(ctx, "antrea-mc-controller", metav1.GetOptions{})
	if err != nil || !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, "leader") {
		t.Errorf("leader controller: %v", err)
	}
}

// assertNotOnLeader checks that the leader has nothing of a member: no
// announcement, exports, imports, ServiceAccount or token.
func assertNotOnLeader(t *testing.T, lead, c *testCluster) {
	t.Helper()
	assertNotAnnounced(t, lead, c)
	sel := antrea.LabelMember + "=" + c.ref.Name
	for _, k := range antreatest.Kinds[1:7] {
		items, err := antreatest.List(t.Context(), lead.dyn, k, sel)
		if err != nil || len(items) > 0 {
			t.Errorf("leader's %s of %s: %d, %v", k.GVR.Resource, c.ref.Name, len(items), err)
		}
	}
}

// assertNotAnnounced checks that a member never got through to the leader:
// no announcement, exports or imports.
func assertNotAnnounced(t *testing.T, lead, c *testCluster) {
	t.Helper()
	ctx := t.Context()
	for _, o := range []struct{ resource, name string }{
		{"memberclusterannounces", "member-announce-from-" + c.ref.Name},
		{"resourceexports", c.ref.Name + "-clusterinfo"},
		{"resourceimports", c.ref.Name + "-clusterinfo"},
	} {
		_, err := lead.dyn.Resource(schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: o.resource}).Namespace(antrea.LeaderNamespace).Get(ctx, o.name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("leader's %s %s: %v, want none", o.resource, o.name, err)
		}
	}
}

// templateHash is the configuration hash on the member controller's pod template.
func templateHash(t *testing.T, c *testCluster) string {
	t.Helper()
	d, err := c.kube.AppsV1().Deployments(antrea.MemberNamespace).Get(t.Context(), "antrea-mc-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Annotations["checksum/config"]
}

// assertErrType checks an activity's error type and retryability.
func assertErrType(t *testing.T, err error, want string, nonRetryable bool) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != want || appErr.NonRetryable() != nonRetryable {
		t.Errorf("error %v, want type %s, non-retryable %v", err, want, nonRetryable)
	}
}
