package web_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// certRow finds the certificates-table row of a node's certificate.
func certRow(node, name string) string {
	return `//section[@id="certificates"]//tr[td[1][.="` + node + `"] and td[2][.="` + name + `"]]`
}

// TestPortalCertificates provisions a one-node cluster and checks its certificates
// through the API; on the cluster's page the Certificates section lists them with their
// days left, and an operator renews them through the confirm dialog, which opens the
// cluster.certificate-renewal operation; it succeeds and the page then shows the renewed
// set. A viewer sees the certificates but no button to check or renew them.
func TestPortalCertificates(t *testing.T) {
	t.Parallel()
	env := apptest.StartDatacenter(t, "94", nil)
	spec := apptest.ClusterSpec("pcrt", 1, 0)
	spec.Addons.KubeSphere = nil
	provision := apptest.StartProvision(t, env, spec)
	ctx := startBrowser(t)
	if op := env.WaitOperationEnd(provision.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision = %s: %s", op.State, op.Error)
	}
	r := env.Do("POST", "/api/v1/clusters/pcrt/certificates/check", env.AdminToken, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("check: %d %s", r.Status, r.Body)
	}
	var started struct{ Operation domain.Operation }
	r.JSON(t, &started)
	if op := env.WaitOperationEnd(started.Operation.ID, workflowWait); op.State != domain.OpSucceeded {
		t.Fatalf("check = %s: %s", op.State, op.Error)
	}

	// A viewer: the certificates, no buttons to change them.
	signIn(t, ctx, env, env.Token("vera", domain.RoleViewer))
	var days, ca string
	var buttons []string
	run(t, ctx, "the viewer's cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/pcrt"),
		chromedp.WaitVisible(chromedp.Search(certRow("pcrt-cp-0", "apiserver"))),
		into(&days, chromedp.Text(chromedp.Search(certRow("pcrt-cp-0", "apiserver")+`/td[4]`))),
		into(&ca, chromedp.Text(chromedp.Search(certRow("pcrt-cp-0", "apiserver")+`/td[5]`))),
		visibleButtons(&buttons))
	if n, err := strconv.Atoi(days); err != nil || n < 364 || n > 365 || ca != "ca" {
		t.Errorf("apiserver row: days left %q, CA %q", days, ca)
	}
	if slices.Contains(buttons, "Renew…") || slices.Contains(buttons, "Check now") {
		t.Errorf("a viewer sees %v", buttons)
	}

	// An operator renews through the confirm dialog and lands on the operation.
	signIn(t, ctx, env, env.Token("olga", domain.RoleOperator))
	var shot []byte
	var heading string
	run(t, ctx, "renew from the cluster page",
		chromedp.Navigate(env.URL+"/#/clusters/pcrt"),
		chromedp.WaitVisible(chromedp.Search(certRow("pcrt-cp-0", "apiserver"))),
		into(&shot, chromedp.FullScreenshot(100)),
		chromedp.Click(chromedp.Search(`//section[@id="certificates"]//button[.="Renew…"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button.danger`)),
		chromedp.Click(chromedp.CSS(`dialog[open] button.danger`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Kind"]/following-sibling::dd[1][.="`+domain.OpRenewCertificates+`"]`)),
		readHeading(&heading))
	saveScreenshot(t, "cluster-certificates.png", shot)
	renewID := strings.TrimPrefix(heading, "Operation ")
	if op := env.WaitOperationEnd(renewID, workflowWait); op.State != domain.OpSucceeded {
		t.Fatalf("renewal = %s: %s", op.State, op.Error)
	}
	var checked string
	run(t, ctx, "the renewed set",
		chromedp.Navigate(env.URL+"/#/clusters/pcrt"),
		chromedp.WaitVisible(chromedp.Search(certRow("pcrt-cp-0", "apiserver"))),
		into(&checked, chromedp.Evaluate[string](`document.querySelector('#certificates time').getAttribute('datetime')`)))
	var list struct {
		CheckedAt string `json:"checked_at"`
	}
	env.Do("GET", "/api/v1/clusters/pcrt/certificates", env.AdminToken, nil).JSON(t, &list)
	if checked == "" || checked != list.CheckedAt {
		t.Errorf("page shows the check of %q, the API %q", checked, list.CheckedAt)
	}
}
