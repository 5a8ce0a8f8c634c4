package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestPortalBackups provisions a one-node cluster; on its page a viewer sees the Backups
// section without a button, an operator backs it up with "Back up now", which opens the
// cluster.backup operation; once it succeeded the page lists the backup with its node
// and revision.
func TestPortalBackups(t *testing.T) {
	t.Parallel()
	env := apptest.StartDatacenter(t, "98", nil)
	spec := apptest.ClusterSpec("pbk", 1, 0)
	spec.Addons.KubeSphere = nil
	provision := apptest.StartProvision(t, env, spec)
	ctx := startBrowser(t)
	if op := env.WaitOperationEnd(provision.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}

	// A paused backup schedule of the cluster and one of every Ready cluster: the
	// cluster page lists both.
	for _, body := range []map[string]any{
		{"kind": "backup", "cluster": "pbk", "cron": "0 3 * * *", "paused": true},
		{"kind": "certificate-check", "cluster": "*", "every": "24h"},
	} {
		if r := env.Do("POST", "/api/v1/schedules", env.AdminToken, body); r.Status != http.StatusCreated {
			t.Fatalf("create schedule %v: %d %s", body, r.Status, r.Body)
		}
	}

	signIn(t, ctx, env, env.Token("vera", domain.RoleViewer))
	var empty, schedules string
	var buttons []string
	run(t, ctx, "the viewer's cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/pbk"),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="backups"]//h2[.="Backups"]`)),
		into(&empty, chromedp.Text(chromedp.Search(`//section[@id="backups"]`))),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="schedules"]//tbody/tr[2]`)),
		into(&schedules, chromedp.Text(chromedp.Search(`//section[@id="schedules"]//tbody`))),
		visibleButtons(&buttons))
	for _, want := range []string{"backup", "this cluster", "Paused", "certificate-check", "every Ready cluster", "every 24h"} {
		if !strings.Contains(schedules, want) {
			t.Errorf("the Schedules section %q does not say %q", schedules, want)
		}
	}
	if !strings.Contains(empty, "No backup yet.") {
		t.Errorf("the Backups section before any backup: %q", empty)
	}
	for _, b := range buttons {
		if b == "Back up now" {
			t.Errorf("a viewer sees %v", buttons)
		}
	}

	signIn(t, ctx, env, env.Token("olga", domain.RoleOperator))
	var heading string
	run(t, ctx, "back up from the cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/pbk"),
		chromedp.Click(chromedp.Search(`//section[@id="backups"]//button[.="Back up now"]`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Kind"]/following-sibling::dd[1][.="`+domain.OpBackupCluster+`"]`)),
		readHeading(&heading))
	id := strings.TrimPrefix(heading, "Operation ")
	if op := env.WaitOperationEnd(id, workflowWait); op.State != domain.OpSucceeded {
		t.Fatalf("backup = %s: %s", op.State, op.Error)
	}
	var node string
	run(t, ctx, "the backup listed",
		chromedp.Navigate(env.URL+"/#/clusters/pbk"),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="backups"]//tbody/tr/td[6]`)),
		into(&node, chromedp.Text(chromedp.Search(`//section[@id="backups"]//tbody/tr[1]/td[6]`))))
	if node != "pbk-cp-0" {
		t.Errorf("the backup row names node %q", node)
	}
	run(t, ctx, "the operator's buttons", visibleButtons(&buttons))
	for _, b := range buttons {
		if b == "Restore…" {
			t.Errorf("an operator sees %v", buttons)
		}
	}

	// An admin restores the backup from its row, through the confirm dialog.
	signIn(t, ctx, env, env.AdminToken)
	run(t, ctx, "restore from the cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/pbk"),
		chromedp.Click(chromedp.Search(`//section[@id="backups"]//tbody/tr[1]//button[.="Restore…"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.confirm[open]`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Kind"]/following-sibling::dd[1][.="`+domain.OpRestoreCluster+`"]`)),
		readHeading(&heading))
	restore := strings.TrimPrefix(heading, "Operation ")
	if op := env.WaitOperationEnd(restore, workflowWait); op.State != domain.OpSucceeded {
		t.Fatalf("restore = %s: %s", op.State, op.Error)
	}
}
