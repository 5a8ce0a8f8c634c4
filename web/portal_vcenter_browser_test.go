package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// TestPortalVCenterAccounts: a vCenter that shares the service account shows the
// warning on its page; the Update credentials form refuses a wrong cluster password
// next to its field and, with the right one, opens the update operation.
func TestPortalVCenterAccounts(t *testing.T) {
	t.Parallel()
	ctx := startBrowser(t)
	env := apptest.Start(t)
	in := env.VCenterInput("shared")
	in.ClusterCredentials, in.ShareServiceAccountWithClusters = nil, true
	if r := env.Do("POST", "/api/v1/vcenters", env.AdminToken, in); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	signIn(t, ctx, env, env.AdminToken)

	var warning string
	run(t, ctx, "open the vCenter's page",
		chromedp.Navigate(env.URL+"/#/vcenters/shared"),
		chromedp.WaitVisible(chromedp.CSS(`.vcenter-warning`)),
		into(&warning, chromedp.Text(chromedp.CSS(`.vcenter-warning`))))
	if !strings.Contains(warning, "clusters receive the service account") {
		t.Fatalf("warning = %q", warning)
	}

	var msg string
	run(t, ctx, "a wrong cluster password",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Update credentials"]`)),
		chromedp.WaitVisible(chromedp.CSS(byName("cluster_credentials.password"))),
		chromedp.SendKeys(chromedp.CSS(byName("cluster_credentials.username")), env.VCenter.ClusterUsername),
		chromedp.SendKeys(chromedp.CSS(byName("cluster_credentials.password")), "wrong-"+env.VCenter.ClusterPassword),
		chromedp.Click(chromedp.Search(`//form[.//h2[.="Update credentials"]]//button[@type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="cluster_credentials.password"].invalid`)),
		into(&msg, chromedp.Text(chromedp.CSS(errorOf("cluster_credentials.password")))))
	if !strings.Contains(msg, "rejected") {
		t.Errorf("message at the cluster password = %q", msg)
	}

	var heading string
	run(t, ctx, "the right one",
		chromedp.SetValue(chromedp.CSS(byName("cluster_credentials.password")), env.VCenter.ClusterPassword),
		chromedp.Click(chromedp.Search(`//form[.//h2[.="Update credentials"]]//button[@type="submit"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[starts-with(., "Operation ")]`)),
		readText(&heading, `//h1[starts-with(., "Operation ")]`))
	var v domain.VCenter
	env.Do("GET", "/api/v1/vcenters/shared", env.AdminToken, nil).JSON(t, &v)
	if v.ClusterCredentials == nil || v.ClusterCredentials.Username != env.VCenter.ClusterUsername || len(v.Warnings) != 0 {
		t.Fatalf("after the update: %+v (page %q)", v, heading)
	}
}
