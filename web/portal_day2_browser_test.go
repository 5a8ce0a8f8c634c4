package web_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// recordNodesCluster records a cluster at version straight in the inventory, in phase,
// with a control plane and two workers of pool "default", as a finished provision would
// leave it (nothing runs it: the Day-2 routes read the inventory only).
func recordNodesCluster(t *testing.T, env *apptest.Env, name, version, phase string) {
	t.Helper()
	ctx := context.Background()
	spec := smallSpec(name)
	spec.KubernetesVersion = version
	spec.WorkerPools[0].Replicas = 2
	c, err := env.App.Store.CreateCluster(ctx, spec, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(ctx, c.ID, phase, ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range []inventory.NodeRecord{
		{Name: name + "-cp-0", Role: "control-plane", Pool: domain.ControlPlanePool},
		{Name: name + "-default-0", Role: "worker", Pool: "default"},
		{Name: name + "-default-1", Role: "worker", Pool: "default"},
	} {
		n.ClusterID, n.Ready, n.KubeletVersion = c.ID, true, version
		if err := env.App.Store.UpsertNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
}

// kindIs is the XPath of the operation page's Kind when it is kind.
func kindIs(kind string) string {
	return `//dt[.="Kind"]/following-sibling::dd[1][.="` + kind + `"]`
}

// startedOperation reads the operation whose page is open, through the API, and checks
// its kind and cluster.
func startedOperation(t *testing.T, env *apptest.Env, heading, kind, cluster string) (domain.Operation, map[string]any) {
	t.Helper()
	id := strings.TrimPrefix(heading, "Operation ")
	var op domain.Operation
	env.Do("GET", "/api/v1/operations/"+id, env.AdminToken, nil).JSON(t, &op)
	if op.ID != id || op.Kind != kind || op.Target.Kind != "cluster" || op.Target.Name != cluster || op.Actor != "olga" {
		t.Fatalf("the operation page %q shows %+v, want %s of cluster %s by olga", heading, op, kind, cluster)
	}
	var params map[string]any
	if err := json.Unmarshal(op.Params, &params); err != nil {
		t.Fatalf("params of %s: %s: %v", id, op.Params, err)
	}
	return op, params
}

// TestPortalDay2 drives the Day-2 node operations on recorded clusters: a viewer sees no
// button to change nodes; an operator's Upgrade dialog offers the version the cluster can
// go to and starts the upgrade, whose operation page opens; the cluster is then busy and
// its buttons say so; a cluster at the newest version says there is nothing to upgrade
// to, and gets a pool through Add pool; a pool's Scale dialog shows the server's refusal
// at its input and stays open, then scales; a node of a Degraded cluster is replaced
// the same way.
func TestPortalDay2(t *testing.T) {
	t.Parallel()
	env := startPortal(t)
	// The browser goes first at the end: the operations it opened never end here, and
	// their pages' event streams would hold the server open.
	ctx := startBrowser(t)
	previous := domain.PreviousVersion(domain.KubernetesVersions().Default)
	newest := domain.KubernetesVersions().Default
	recordNodesCluster(t, env, "east", previous, domain.PhaseReady)
	recordNodesCluster(t, env, "top", newest, domain.PhaseReady)
	recordNodesCluster(t, env, "north", newest, domain.PhaseDegraded)

	// A viewer: the pools and nodes, no button to change them.
	signIn(t, ctx, env, env.Token("vera", domain.RoleViewer))
	var buttons []string
	run(t, ctx, "the viewer's cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/east"),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="nodes"]//td[.="east-default-1"]`)),
		visibleButtons(&buttons))
	for _, b := range []string{"Upgrade…", "Scale…", "Add pool…", "Replace…"} {
		if slices.Contains(buttons, b) {
			t.Errorf("a viewer sees %q among %v", b, buttons)
		}
	}

	// An operator upgrades east to the version its dialog offers.
	signIn(t, ctx, env, env.Token("olga", domain.RoleOperator))
	var page, dialog []byte
	var offered []string
	var chosen, heading, params string
	run(t, ctx, "upgrade from the cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/east"),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="nodes"]//button[@data-node="east-default-1"]`)),
		visibleButtons(&buttons),
		into(&page, chromedp.FullScreenshot(100)),
		chromedp.Click(chromedp.Search(`//dt[.="Kubernetes"]/following-sibling::dd[1]//button[.="Upgrade…"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog#upgrade[open] select[name=kubernetes_version]`)),
		into(&offered, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#upgrade select[name=kubernetes_version] option')].map((o) => o.value)`)),
		into(&chosen, chromedp.Evaluate[string](`document.querySelector('#upgrade select[name=kubernetes_version]').value`)),
		into(&dialog, chromedp.FullScreenshot(100)),
		setValue(`#upgrade-drain_timeout`, "15m"),
		chromedp.Click(chromedp.CSS(`dialog#upgrade[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(kindIs(domain.OpUpgradeCluster))),
		chromedp.WaitVisible(chromedp.Search(`//h2[.="Timeline"]`)),
		readHeading(&heading),
		readText(&params, `//dt[.="Parameters"]/following-sibling::dd[1]`))
	saveScreenshot(t, "cluster-day2.png", page)
	saveScreenshot(t, "cluster-upgrade-dialog.png", dialog)
	for _, b := range []string{"Upgrade…", "Add pool…", "Scale…", "Replace…"} {
		if !slices.Contains(buttons, b) {
			t.Errorf("an operator does not see %q among %v", b, buttons)
		}
	}
	if !slices.Equal(offered, []string{newest}) || chosen != newest {
		t.Errorf("the upgrade dialog offers %v (chosen %q), want [%s]", offered, chosen, newest)
	}
	_, p := startedOperation(t, env, heading, domain.OpUpgradeCluster, "east")
	if p["from"] != previous || p["to"] != newest || p["backup"] != true || p["drain_timeout"] != "15m0s" {
		t.Errorf("upgrade params = %v", p)
	}
	if !strings.Contains(params, "to "+newest) {
		t.Errorf("the operation page's parameters %q do not say to %s", params, newest)
	}

	// Busy with its upgrade: east's buttons are disabled and say why.
	var notice string
	var disabled bool
	run(t, ctx, "the busy cluster",
		chromedp.Navigate(env.URL+"/#/clusters/east"),
		chromedp.WaitVisible(chromedp.CSS(`#pools .day2-blocked`)),
		into(&notice, chromedp.Text(chromedp.CSS(`#pools .day2-blocked`))),
		into(&disabled, chromedp.Evaluate[bool](`[...document.querySelectorAll('#pools button, #nodes button, .day2-upgrade button')].every((b) => b.disabled)`)),
		into(&page, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "cluster-day2-busy.png", page)
	if !strings.Contains(notice, "busy with "+domain.OpUpgradeCluster) || !disabled {
		t.Errorf("a busy cluster: notice %q, every button disabled %v", notice, disabled)
	}

	// top runs the newest version: nothing to upgrade to. It gets a new pool.
	var reason string
	run(t, ctx, "add a pool",
		chromedp.Navigate(env.URL+"/#/clusters/top"),
		chromedp.WaitVisible(chromedp.CSS(`.day2-upgrade .reason`)),
		into(&reason, chromedp.Text(chromedp.CSS(`.day2-upgrade .reason`))),
		into(&disabled, chromedp.Evaluate[bool](`document.querySelector('.day2-upgrade button').disabled`)),
		chromedp.Click(chromedp.Search(`//section[@id="pools"]//button[.="Add pool…"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog#add-pool[open]`)),
		setValue(`#add-pool-pool`, "gpu"),
		setValue(`#add-pool-cpus`, "4"),
		chromedp.Click(chromedp.CSS(`dialog#add-pool[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(kindIs(domain.OpScaleCluster))),
		readHeading(&heading))
	if !disabled || !strings.Contains(reason, newest+" is the newest version") {
		t.Errorf("upgrade of the newest: disabled %v, reason %q", disabled, reason)
	}
	if _, p := startedOperation(t, env, heading, domain.OpScaleCluster, "top"); p["pool"] != "gpu" || p["added"] != true || p["replicas"] != 1.0 {
		t.Errorf("add pool params = %v", p)
	}

	// north (Degraded): the Replace dialog shows the server's refusal of a bad drain
	// timeout at its input and stays open; then the node is replaced.
	run(t, ctx, "replace a node",
		chromedp.Navigate(env.URL+"/#/clusters/north"),
		chromedp.Click(chromedp.Search(`//section[@id="nodes"]//button[@data-node="north-default-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog#replace[open]`)),
		setValue(`#replace-drain_timeout`, "forever"),
		chromedp.Click(chromedp.CSS(`dialog#replace[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog#replace[open] [data-field="drain_timeout"].invalid`)),
		setValue(`#replace-drain_timeout`, "2m"),
		chromedp.Click(chromedp.CSS(`dialog#replace[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(kindIs(domain.OpReplaceNode))),
		readHeading(&heading))
	if _, p := startedOperation(t, env, heading, domain.OpReplaceNode, "north"); p["node"] != "north-default-1" || p["drain_timeout"] != "2m0s" {
		t.Errorf("replace params = %v", p)
	}

	// west: scaling to the count it has is refused at the replicas input; then it scales.
	recordNodesCluster(t, env, "west", newest, domain.PhaseReady)
	var refusal string
	run(t, ctx, "scale a pool",
		chromedp.Navigate(env.URL+"/#/clusters/west"),
		chromedp.Click(chromedp.Search(`//section[@id="pools"]//button[@data-pool="default"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog#scale[open]`)),
		chromedp.Click(chromedp.CSS(`dialog#scale[open] button[type=submit]`)), // still 2: nothing to do
		chromedp.WaitVisible(chromedp.CSS(`dialog#scale[open] [data-field="replicas"].invalid`)),
		into(&refusal, chromedp.Text(chromedp.CSS(`dialog#scale[open] [data-field="replicas"] .field-error`))),
		into(&dialog, chromedp.FullScreenshot(100)),
		setValue(`#scale-replicas`, "3"),
		chromedp.Click(chromedp.CSS(`dialog#scale[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(kindIs(domain.OpScaleCluster))),
		readHeading(&heading))
	saveScreenshot(t, "cluster-scale-refused.png", dialog)
	if !strings.Contains(refusal, "already has 2") {
		t.Errorf("scaling to the same count: %q", refusal)
	}
	if _, p := startedOperation(t, env, heading, domain.OpScaleCluster, "west"); p["pool"] != "default" || p["replicas"] != 3.0 || p["from"] != 2.0 {
		t.Errorf("scale params = %v", p)
	}
}
