package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/interceptor"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/sim/antreamc"
)

// The ClusterSet pages (issue 9), driven in headless Chromium against the real stack on a
// simulated datacenter whose clusters run real API servers and the simulated Antrea
// multi-cluster controllers (heartbeating every second rather than every 10 s, so that a
// set is Ready and a member gone in seconds).

// memberRow finds the set page's members-table row of a cluster.
func memberRow(cluster string) string {
	return `//table//tr[td[1]/a[.="` + cluster + `"]]`
}

// readHeading reads the page's heading in one go (the operation page redraws as it
// follows the operation, so a node found first may be gone when its text is read).
func readHeading(dst *string) chromedp.Action[chromedp.Void] {
	return into(dst, chromedp.Evaluate[string](`document.querySelector('h1').textContent`))
}

// TestPortalClusterSets provisions one small cluster (through the API) and, in the portal:
// an operator's New ClusterSet form shows a bad name's error at its input and forms
// nothing; then forms a set of that cluster alone with a gateway node ticked, which opens
// the clusterset.form operation; the set's page, opened while it forms, links the
// operation and follows the set until it is Ready, with its leader member Joined, ready
// and its gateway active; the cluster's page links to the set. A viewer sees
// the set but no button to change it. The operator disbands it through the confirm dialog,
// which opens the clusterset.disband operation, and the set is gone.
func TestPortalClusterSets(t *testing.T) {
	t.Parallel()
	started := time.Now()
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, Multicluster: antreamc.Options{Heartbeat: time.Second},
		Interceptors: []interceptor.WorkerInterceptor{apptest.FastRetries()}})
	apptest.RegisterLab(t, env, "77")
	spec := apptest.ClusterSpec("solo", 1, 0)
	spec.Addons.KubeSphere = nil
	provision := apptest.StartProvision(t, env, spec)
	ctx := startBrowser(t)
	if op := env.WaitOperationEnd(provision.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	cluster := apptest.GetCluster(t, env, "solo")
	gateway := cluster.Nodes[0].Name
	t.Logf("stack, browser and cluster up in %s", time.Since(started).Round(time.Millisecond))

	// With no set yet the form is open and offers the Ready cluster as leader.
	operator := env.Token("olga", domain.RoleOperator)
	signIn(t, ctx, env, operator)
	run(t, ctx, "open the new-set form",
		chromedp.Navigate(env.URL+"/#/clustersets"),
		chromedp.WaitVisible(chromedp.CSS(`form.clusterset-form`)),
		chromedp.WaitReady(chromedp.CSS(byName("leader")+` option[value="solo"]`)),
		setValue(byName("leader"), "solo"),
		chromedp.WaitVisible(chromedp.CSS(`.member-row[data-cluster="solo"] input.gw-pick[value="`+gateway+`"]`)),
		chromedp.Click(chromedp.CSS(`.member-row[data-cluster="solo"] input.gw-pick[value="`+gateway+`"]`)))

	// A bad name: its message shows at the input, and nothing is formed.
	var nameMsg string
	run(t, ctx, "submit a bad name",
		chromedp.SendKeys(chromedp.CSS(byName("name")), "Bad_Set"),
		chromedp.Click(chromedp.CSS(`form.clusterset-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="name"].invalid`)),
		into(&nameMsg, chromedp.Text(chromedp.CSS(errorOf("name")))))
	if nameMsg == "" {
		t.Error("no message at the name input")
	}
	if r := env.Do("GET", "/api/v1/clustersets", env.AdminToken, nil); !strings.Contains(string(r.Body), `"items":[]`) {
		t.Errorf("sets after a rejected form: %s", r.Body)
	}
	var shot []byte
	run(t, ctx, "screenshot the form", into(&shot, chromedp.Screenshot(chromedp.CSS(`form.clusterset-form`))))
	saveScreenshot(t, "clustersets-form.png", shot)

	// Formed: the clusterset.form operation opens and succeeds.
	var heading, kind string
	run(t, ctx, "form the set",
		setValue(byName("name"), "lab"),
		chromedp.Click(chromedp.CSS(`form.clusterset-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Kind"]/following-sibling::dd[1][.="`+domain.OpFormClusterSet+`"]`)),
		readHeading(&heading),
		into(&kind, chromedp.Evaluate[string](`document.evaluate('//dt[.="Kind"]/following-sibling::dd[1]', document, null,
			XPathResult.STRING_TYPE, null).stringValue`)))
	if kind != domain.OpFormClusterSet {
		t.Fatalf("after the form the page shows %q (kind %q), want the clusterset.form operation", heading, kind)
	}
	formID := strings.TrimPrefix(heading, "Operation ")

	// The set's page while it forms: the operation is linked, and the page follows the set
	// to Ready without a reload.
	var marked bool
	runWithin(t, ctx, workflowWait, "the set's page follows the forming",
		chromedp.Navigate(env.URL+"/#/clustersets/lab"),
		chromedp.WaitVisible(chromedp.CSS(`.facts a[href="#/operations/`+formID+`"]`)),
		into(&marked, chromedp.Evaluate[bool](`window.cwMarked = true`)),
		into(&shot, chromedp.FullScreenshot(100)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Phase"]/following-sibling::dd[1]/span[.="Ready"]`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Operation"]/following-sibling::dd[1][.="—"]`)),
		into(&marked, chromedp.Evaluate[bool](`window.cwMarked === true`)))
	saveScreenshot(t, "clustersets-set-forming.png", shot)
	if !marked {
		t.Error("the set's page was reloaded to show the set Ready; want it followed")
	}
	if op := env.WaitOperationEnd(formID, workflowWait); op.State != domain.OpSucceeded {
		t.Fatalf("form = %s: %s", op.State, op.Error)
	}
	t.Logf("set formed at %s", time.Since(started).Round(time.Millisecond))
	var set domain.ClusterSet
	env.Do("GET", "/api/v1/clustersets/lab", env.AdminToken, nil).JSON(t, &set)
	if set.Spec.Gateways["solo"] == nil || !slices.Equal([]string(set.Spec.Gateways["solo"]), []string{gateway}) || len(set.Spec.Members) != 0 {
		t.Errorf("recorded spec %+v, want solo alone with gateway %s", set.Spec, gateway)
	}

	// The set's page: Ready, the leader a Joined, ready member with its gateway active.
	var phase, role, state, ready, active string
	var buttons []string
	run(t, ctx, "the set's page",
		chromedp.Navigate(env.URL+"/#/clustersets/lab"),
		chromedp.WaitVisible(chromedp.Search(memberRow("solo"))),
		readTexts([]*string{&phase, &role, &state, &ready, &active},
			`//dt[.="Phase"]/following-sibling::dd[1]/span`, memberRow("solo")+`/td[2]`, memberRow("solo")+`/td[3]`,
			memberRow("solo")+`/td[4]/span`, memberRow("solo")+`//span[@class="gw-active"]/code`),
		visibleButtons(&buttons),
		into(&shot, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "clustersets-set-operator.png", shot)
	if phase != domain.ClusterSetReady || role != "leader" || state != domain.MemberJoined || ready != "Ready" || active != gateway {
		t.Errorf("set page shows phase %q; solo %q %q %q, gateway %q; want Ready, leader Joined Ready, %s active", phase, role, state, ready, active, gateway)
	}
	if !slices.Contains(buttons, "Disband…") || !slices.Contains(buttons, "Join cluster") || slices.Contains(buttons, "Leave…") {
		t.Errorf("an operator is offered %q; want Disband… and Join cluster, and no Leave… for the leader", buttons)
	}
	var joinChoices []string
	run(t, ctx, "the join form",
		chromedp.Click(chromedp.Search(`//button[.="Join cluster"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.join-form `+byName("cluster"))),
		into(&joinChoices, chromedp.Evaluate[[]string](`[...document.querySelectorAll('form.join-form [name=cluster] option')].map((o) => o.textContent)`)))
	if !slices.Equal(joinChoices, []string{"no Ready cluster outside a set"}) {
		t.Errorf("the join form offers %q; want no cluster (the only one is in the set)", joinChoices)
	}
	run(t, ctx, "the cluster's page links to its set",
		chromedp.Navigate(env.URL+"/#/clusters/solo"),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="ClusterSet"]/following-sibling::dd[1][contains(., "(leader)")]/a[@href="#/clustersets/lab"]`)))

	// A viewer sees the set and no button to change it.
	signIn(t, ctx, env, env.Token("vera", domain.RoleViewer))
	var listButtons []string
	run(t, ctx, "the viewer's pages",
		chromedp.Navigate(env.URL+"/#/clustersets"),
		chromedp.WaitVisible(chromedp.Search(`//table//a[@href="#/clustersets/lab"]`)),
		visibleButtons(&listButtons),
		into(&shot, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "clustersets-list-viewer.png", shot)
	run(t, ctx, "the viewer's set page",
		chromedp.Navigate(env.URL+"/#/clustersets/lab"),
		chromedp.WaitVisible(chromedp.Search(memberRow("solo"))),
		visibleButtons(&buttons),
		into(&shot, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "clustersets-set-viewer.png", shot)
	if b := append(listButtons, buttons...); slices.ContainsFunc(b, func(s string) bool { return s != "Sign out" }) {
		t.Errorf("a viewer is offered %q", b)
	}

	// Disband through the confirm dialog: the clusterset.disband operation opens.
	signIn(t, ctx, env, operator)
	run(t, ctx, "disband",
		chromedp.Navigate(env.URL+"/#/clustersets/lab"),
		chromedp.Click(chromedp.CSS(`[data-action=disband]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.confirm[open]`)),
		into(&shot, chromedp.Screenshot(chromedp.CSS(`dialog.confirm[open]`))),
		chromedp.Click(chromedp.CSS(`dialog.confirm[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Kind"]/following-sibling::dd[1][.="`+domain.OpDisbandClusterSet+`"]`)),
		readHeading(&heading))
	saveScreenshot(t, "clustersets-disband-dialog.png", shot)
	if op := env.WaitOperationEnd(strings.TrimPrefix(heading, "Operation "), workflowWait); op.State != domain.OpSucceeded {
		t.Fatalf("disband = %s: %s", op.State, op.Error)
	}
	t.Logf("set disbanded at %s", time.Since(started).Round(time.Millisecond))
	if r := env.Do("GET", "/api/v1/clustersets/lab", env.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET the disbanded set = %d, want 404", r.Status)
	}
	if c := apptest.GetCluster(t, env, "solo"); c.ClusterSet != nil {
		t.Errorf("solo is still in set %+v", c.ClusterSet)
	}
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}

// recordCluster records a Ready cluster with Antrea and the given nodes straight in the
// inventory, as a finished provision would leave it (nothing runs it: enough for the
// form's choices and the server's checks, which read the inventory).
func recordCluster(t *testing.T, env *apptest.Env, name, phase, podCIDR, serviceCIDR string, nodes ...string) {
	t.Helper()
	ctx := context.Background()
	spec := smallSpec(name)
	spec.Network.PodCIDR, spec.Network.ServiceCIDR = podCIDR, serviceCIDR
	c, err := env.App.Store.CreateCluster(ctx, spec, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, phase, ""); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.UpsertAddon(ctx, c.ID, domain.Addon{Name: "antrea", ChartVersion: "2.7.0", Status: "deployed"}, "antrea", ""); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		role := "worker"
		if i == 0 {
			role = "control-plane"
		}
		if err := env.App.Store.UpsertNode(ctx, inventory.NodeRecord{ClusterID: c.ID, Name: n, Role: role, Ready: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPortalClusterSetPreflight checks the New ClusterSet form against recorded clusters:
// it offers the Ready ones only, and a set the server refuses (the member's pod CIDR
// overlaps the leader's) shows the message at the member's row, forms nothing, and keeps
// what was chosen.
func TestPortalClusterSetPreflight(t *testing.T) {
	t.Parallel()
	ctx := startBrowser(t)
	env := startPortal(t)
	recordCluster(t, env, "east", domain.PhaseReady, "10.10.0.0/16", "10.96.0.0/16", "east-cp-0", "east-default-0", "east-default-1")
	recordCluster(t, env, "west", domain.PhaseReady, "10.10.0.0/16", "10.97.0.0/16", "west-cp-0", "west-default-0")
	recordCluster(t, env, "north", domain.PhaseReady, "10.12.0.0/16", "10.98.0.0/16", "north-cp-0")
	recordCluster(t, env, "young", domain.PhaseProvisioning, "10.13.0.0/16", "10.99.0.0/16")
	signIn(t, ctx, env, env.AdminToken)

	var rows []string
	run(t, ctx, "open the form",
		chromedp.Navigate(env.URL+"/#/clustersets"),
		chromedp.WaitVisible(chromedp.CSS(`form.clusterset-form`)),
		into(&rows, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.member-row')].map((r) => r.dataset.cluster)`)))
	if !slices.Equal(rows, []string{"east", "north", "west"}) {
		t.Errorf("the form offers %q, want the Ready clusters east, north and west", rows)
	}

	// Leader east (with a gateway node), members north and west: west's pod CIDR overlaps
	// east's, which the server names on members[1], west's row.
	var westMsg, northMsg, summary string
	var picked bool
	run(t, ctx, "submit an overlapping set",
		chromedp.SendKeys(chromedp.CSS(byName("name")), "lab"),
		setValue(byName("leader"), "east"),
		chromedp.Click(chromedp.CSS(`.member-row[data-cluster="east"] input.gw-pick[value="east-default-1"]`)),
		chromedp.Click(chromedp.CSS(`#cs-member-north`)),
		chromedp.Click(chromedp.CSS(`#cs-member-west`)),
		chromedp.WaitVisible(chromedp.CSS(`.member-row[data-cluster="west"] input.gw-pick[value="west-default-0"]`)),
		chromedp.Click(chromedp.CSS(`form.clusterset-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.member-row[data-cluster="west"] .field.invalid`)),
		into(&westMsg, chromedp.Text(chromedp.CSS(errorOf("members[1]")))),
		into(&northMsg, chromedp.Evaluate[string](`document.querySelector('[data-field="members[0]"] .field-error').textContent`)),
		into(&summary, chromedp.Text(chromedp.CSS(`form.clusterset-form .form-error`))),
		into(&picked, chromedp.Evaluate[bool](`document.querySelector('.member-row[data-cluster="east"] input.gw-pick[value="east-default-1"]').checked`)))
	if !strings.Contains(westMsg, "overlaps") || !strings.Contains(westMsg, `"east"`) {
		t.Errorf("message at west's row = %q, want its pod CIDR overlapping east's", westMsg)
	}
	if northMsg != "" {
		t.Errorf("message at north's row = %q, want none", northMsg)
	}
	if !strings.Contains(summary, "correct the marked fields") {
		t.Errorf("form summary = %q", summary)
	}
	if !picked {
		t.Error("the chosen gateway node was lost")
	}
	if r := env.Do("GET", "/api/v1/clustersets/lab", env.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET the refused set = %d, want 404", r.Status)
	}
	var shot []byte
	run(t, ctx, "screenshot the refused form", into(&shot, chromedp.Screenshot(chromedp.CSS(`form.clusterset-form`))))
	saveScreenshot(t, "clustersets-form-refused.png", shot)
}
