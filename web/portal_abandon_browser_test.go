package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/workflows"
)

// TestPortalAbandon: an operation whose workflow never started holds its vCenter. A
// viewer and an operator see no Abandon on its page; an admin abandons it through the
// confirm dialog: the page says why and shows it Failed without a reload, the record
// says "abandoned by" the admin, and the vCenter takes a new sync.
func TestPortalAbandon(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	env.RegisterVCenter("vc1")
	ctx := context.Background()
	v, err := env.App.Store.GetVCenter(ctx, "vc1")
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := env.App.Store.CreateOperation(ctx, domain.Operation{Kind: domain.OpSyncInventory, Actor: "admin",
		Target: domain.Target{Kind: "vcenter", ID: v.ID, Name: v.Name}, WorkflowID: workflows.VCenterWorkflowID(v.ID)})
	if err != nil {
		t.Fatal(err)
	}
	browser := startBrowser(t)

	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleOperator} {
		signIn(t, browser, env, env.Token("p-"+string(role), role))
		var buttons []string
		run(t, browser, "the operation page as "+string(role),
			chromedp.Navigate(env.URL+"/#/operations/"+orphan.ID),
			chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpPending))),
			visibleButtons(&buttons))
		if slices.Contains(buttons, "Abandon…") {
			t.Errorf("a %s is offered Abandon: %q", role, buttons)
		}
	}

	signIn(t, browser, env, env.AdminToken)
	var notice string
	var buttons []string
	run(t, browser, "abandon as admin",
		chromedp.Navigate(env.URL+"/#/operations/"+orphan.ID),
		chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpPending))),
		recordStates,
		chromedp.Click(chromedp.CSS(`[data-action=abandon]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[aria-labelledby="abandon-title"][open]`)),
		chromedp.Click(chromedp.CSS(`dialog[aria-labelledby="abandon-title"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-notice=abandoned]`)),
		chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpFailed))),
		readText(&notice, `[data-notice=abandoned]`),
		visibleButtons(&buttons))
	var seen recorded
	run(t, browser, "read the states", readRecorded(&seen))
	if !seen.Marked {
		t.Error("the page reloaded to show the abandoned operation")
	}
	if !strings.Contains(notice, "abandoned by admin") {
		t.Errorf("notice = %q", notice)
	}
	if slices.Contains(buttons, "Abandon…") {
		t.Errorf("an ended operation still offers Abandon: %q", buttons)
	}
	op, err := env.App.Store.GetOperation(ctx, orphan.ID)
	if err != nil || op.State != domain.OpFailed || !strings.HasPrefix(op.Error, "abandoned by admin") {
		t.Fatalf("abandoned operation = %s %q, %v", op.State, op.Error, err)
	}
	if r := env.Do("POST", "/api/v1/vcenters/vc1/sync", env.AdminToken, nil); r.Status != 202 {
		t.Errorf("sync of the freed vCenter = %d %s", r.Status, r.Body)
	}
}
