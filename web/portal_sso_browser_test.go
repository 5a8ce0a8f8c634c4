package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/inventory"
)

// ssoSignIn signs username in through the portal's "Sign in with SSO" button and the
// in-process provider's login form, starting at the portal page path.
func ssoSignIn(t *testing.T, ctx context.Context, env *apptest.SSOEnv, path, username string) {
	t.Helper()
	run(t, ctx, "sign in with SSO as "+username,
		chromedp.Navigate(env.URL+path),
		chromedp.WaitVisible(chromedp.CSS(`#sso-signin`)),
		chromedp.Click(chromedp.CSS(`#sso-signin`)),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#password`), apptest.SSOPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#nav`)),
		chromedp.WaitVisible(chromedp.CSS(`#projects`)))
}

// sessionCookie is the browser's session cookie for the portal ("" without one).
func sessionCookie(t *testing.T, ctx context.Context, env *apptest.SSOEnv) string {
	t.Helper()
	var value string
	run(t, ctx, "read the session cookie", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{env.URL + "/"}})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			if c.Name == "cw_session" {
				value = c.Value
				if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
					t.Errorf("session cookie: HttpOnly %v, SameSite %q; want HttpOnly and Lax", c.HTTPOnly, c.SameSite)
				}
			}
		}
		return nil
	}))
	return value
}

// TestPortalSingleSignOn signs people in to the portal in headless Chromium through the
// in-process OIDC provider: alice, of group team-a, lands on the page she started from
// with her project team-a shown; the portal's own mutating calls carry the session's
// CSRF token (carol, a platform admin, creates a project), a forged token is refused and
// audited; Sign out ends the session, after which the old cookie gets 401. The token
// sign-in stays.
func TestPortalSingleSignOn(t *testing.T) {
	env := apptest.StartSSO(t)
	ctx := startBrowser(t)

	ssoSignIn(t, ctx, env, "/#/clusters", "alice")
	var hash, projects, who, switched string
	run(t, ctx, "alice's landing",
		chromedp.WaitVisible(chromedp.CSS(`#project-select`)),
		into(&switched, chromedp.Evaluate[string](`document.querySelector('#project-select').value`)),
		into(&hash, chromedp.Evaluate[string](`location.hash`)),
		into(&projects, chromedp.Text(chromedp.CSS(`#projects`))),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
		into(&who, chromedp.Text(chromedp.CSS(`#whoami`))))
	if hash != "#/clusters" || projects != "Projects: team-a (operator)" || who != "alice@example.com (operator)" {
		t.Errorf("alice lands on %q with %q, %q; want #/clusters, team-a (operator), alice@example.com (operator)", hash, projects, who)
	}
	if switched != "team-a" {
		t.Errorf("the project switcher shows %q, want team-a", switched)
	}
	if strings.Contains(projects, "team-b") {
		t.Errorf("alice is shown team-b: %q", projects)
	}

	// A forged CSRF token is refused (403, problem type csrf) and audited as denied.
	var forged string
	run(t, ctx, "a forged CSRF token",
		into(&forged, chromedp.Evaluate[string](`fetch('/api/v1/projects', {method: 'POST', headers: {'Content-Type': 'application/json',
			'X-CSRF-Token': 'forged'}, body: JSON.stringify({name: 'forged'})}).then(async (r) => r.status + ' ' + (await r.json()).type)`,
			chromedp.EvalAwaitPromise)))
	if forged != "403 https://clusterwright.dev/problems/csrf" {
		t.Errorf("forged CSRF token from the page: %q", forged)
	}
	events, _, err := env.App.Store.ListAudit(context.Background(), inventory.AuditFilter{Actor: "alice@example.com"}, inventory.Page{})
	if err != nil || len(events) == 0 || events[0].Action != "project.create" || events[0].Outcome != domain.OutcomeDenied {
		t.Errorf("audit of the forged token: %+v %v", events, err)
	}

	old := sessionCookie(t, ctx, env)
	if old == "" {
		t.Fatal("no session cookie after the sign-in")
	}
	run(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`#signout`)),
		chromedp.WaitVisible(chromedp.CSS(`#sso-signin`)),
		chromedp.WaitVisible(chromedp.CSS(`#token`)))
	if c := sessionCookie(t, ctx, env); c != "" {
		t.Error("the session cookie is still there after Sign out")
	}
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/whoami", nil)
	req.AddCookie(&http.Cookie{Name: "cw_session", Value: old})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old cookie after Sign out: %v %v, want 401", resp, err)
	}

	// Carol, a platform admin by her group, creates a project through the portal's API
	// client, which sends the session's CSRF token.
	ssoSignIn(t, ctx, env, "/", "carol")
	var created string
	run(t, ctx, "carol creates a project",
		into(&projects, chromedp.Text(chromedp.CSS(`#projects`))),
		into(&created, chromedp.Evaluate[string](`import('/portal/js/api.js').then((m) => m.post('/projects', {name: 'team-c'})).then((p) => p.name, (e) => 'error ' + e.status + ' ' + e.message)`,
			chromedp.EvalAwaitPromise)))
	if created != "team-c" || !strings.Contains(projects, "all projects (admin)") {
		t.Errorf("carol (%q) creating a project: %q", projects, created)
	}
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`#signout`)), chromedp.WaitVisible(chromedp.CSS(`#sso-signin`)))

	// The token sign-in works beside it.
	run(t, ctx, "sign in with a token",
		chromedp.SendKeys(chromedp.CSS(`#token`), env.AdminToken),
		chromedp.Click(chromedp.CSS(`form.signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#nav`)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
		into(&who, chromedp.Text(chromedp.CSS(`#whoami`))))
	if who != "admin (admin)" {
		t.Errorf("token sign-in shows %q", who)
	}
}
