package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
)

// listedClusters is the XPath of the names in the clusters list.
const listedClusters = `//table//td[1]/a[starts-with(@href, "#/clusters/")]`

// clusterNames reads the names the clusters list shows, sorted.
func clusterNames(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var names []string
	run(t, ctx, "read the clusters list", into(&names, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('main table tbody td:first-child a')].map(a => a.textContent).sort()`)))
	return names
}

// switcherOptions reads the project switcher's options as "value=label".
func switcherOptions(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var opts []string
	run(t, ctx, "read the project switcher", chromedp.WaitVisible(chromedp.CSS(`#project-select`)),
		into(&opts, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#project-select option')].map(o => o.value + '=' + o.textContent)`)))
	return opts
}

// TestPortalProjects puts a cluster in team-a and two in team-b (recorded, not
// provisioned): team-b's operator token sees only team-b in the switcher and its two
// clusters in the list, and team-a's cluster page is "not found"; a platform admin's
// switcher offers all projects, narrows the list to team-a (a choice that survives a
// reload) and proposes team-a in the new-cluster form, whose body carries it; team-b's
// page shows each quota's use with its numbers (a bar warning from 90 %, "no limit"
// without a quota), its members, and takes a new member.
func TestPortalProjects(t *testing.T) {
	t.Parallel()
	started := time.Now()
	env := apptest.Start(t)
	ctx := startBrowser(t)
	bg := context.Background()
	if _, err := env.App.Store.CreateVCenter(bg, domain.VCenterInput{Name: "vc1", Server: "vc.example.com", Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	admin := env.AdminToken
	for name, body := range map[string]string{
		"team-a": `{"name": "team-a", "description": "Team A's clusters", "vcenters": ["*"], "ip_pools": ["*"]}`,
		"team-b": `{"name": "team-b", "description": "Payments", "vcenters": ["vc1"], "ip_pools": ["*"],
			"placements": [{"vcenter": "vc1", "datacenter": "*", "compute_cluster": "*"}],
			"quotas": {"clusters": 5, "vcpus": 15, "memory_mib": 65536, "disk_gib": null, "nodes": 10},
			"members": [{"subject": "alice", "kind": "person", "role": "admin"}, {"subject": "b-ops", "kind": "token", "role": "operator"}]}`,
	} {
		if r := env.Do("POST", "/api/v1/projects", admin, body); r.Status != http.StatusCreated {
			t.Fatalf("create project %s: %d %s", name, r.Status, r.Body)
		}
	}
	// team-b: b-one takes 1×4 + 2×4 = 12 vCPUs, 3 nodes, 24 GiB; b-two 2 vCPUs, 1 node,
	// 4 GiB: 14 of 15 vCPUs (93 %), 4 of 10 nodes, 28 of 64 GiB, 2 of 5 clusters.
	big := smallSpec("b-one")
	big.ControlPlane.CPUs, big.ControlPlane.MemoryMiB = 4, 8192
	big.WorkerPools[0].NodeShape = domain.NodeShape{Replicas: 2, CPUs: 4, MemoryMiB: 8192, DiskGiB: 40}
	env.PutCluster(t, "team-a", smallSpec("a-one"))
	env.PutCluster(t, "team-b", big)
	env.PutCluster(t, "team-b", smallSpec("b-two"))
	r := env.Do("POST", "/api/v1/tokens", admin, `{"name": "b-ops", "role": "operator", "project": "team-b"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("team-b's token: %d %s", r.Status, r.Body)
	}
	var bToken api.TokenCreated
	r.JSON(t, &bToken)
	t.Logf("stack, browser and data up in %s", time.Since(started).Round(time.Millisecond))

	// team-b's operator: only team-b to choose, only its clusters listed.
	signIn(t, ctx, env, bToken.Token)
	run(t, ctx, "team-b's clusters",
		chromedp.Navigate(env.URL+"/#/clusters"),
		chromedp.WaitVisible(chromedp.Search(listedClusters)))
	if got := switcherOptions(t, ctx); !slices.Equal(got, []string{"team-b=team-b"}) {
		t.Errorf("team-b's switcher offers %v, want team-b alone", got)
	}
	if got := clusterNames(t, ctx); !slices.Equal(got, []string{"b-one", "b-two"}) {
		t.Errorf("team-b's operator lists clusters %v, want b-one and b-two", got)
	}
	// team-a's cluster is not found, as a name that does not exist.
	var notFound string
	run(t, ctx, "team-a's cluster as team-b",
		chromedp.Navigate(env.URL+"/#/clusters/a-one"),
		chromedp.WaitVisible(chromedp.CSS(`main .alert.error`)),
		into(&notFound, chromedp.Text(chromedp.CSS(`main`))))
	if !strings.Contains(strings.ToLower(notFound), "not found") || strings.Contains(notFound, "Team A") || strings.Contains(notFound, "Placement") {
		t.Errorf("team-a's cluster page as team-b shows %q, want only that it is not found", notFound)
	}
	var projects []string
	run(t, ctx, "team-b's projects",
		chromedp.Navigate(env.URL+"/#/projects"),
		chromedp.WaitVisible(chromedp.Search(`//h1[.="Projects"]`)),
		into(&projects, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main table tbody td:first-child a')].map(a => a.textContent)`)))
	if !slices.Equal(projects, []string{"team-b"}) {
		t.Errorf("team-b's operator lists projects %v, want team-b", projects)
	}

	// A platform admin: every project, and "All projects" first; the switcher narrows
	// the list, and the choice lasts across a reload.
	signIn(t, ctx, env, admin)
	run(t, ctx, "all clusters",
		chromedp.Navigate(env.URL+"/#/clusters"),
		chromedp.WaitVisible(chromedp.Search(listedClusters)))
	if got := switcherOptions(t, ctx); !slices.Equal(got, []string{"=All projects", "default=default", "team-a=team-a", "team-b=team-b"}) {
		t.Errorf("the admin's switcher offers %v", got)
	}
	if got := clusterNames(t, ctx); !slices.Equal(got, []string{"a-one", "b-one", "b-two"}) {
		t.Errorf("the admin lists clusters %v under all projects", got)
	}
	var aProject string
	run(t, ctx, "the clusters' projects", into(&aProject, chromedp.Text(chromedp.Search(`//table//tr[td[1]/a[.="a-one"]]/td[2]`))))
	if aProject != "team-a" {
		t.Errorf("the list under all projects names a-one's project %q, want team-a", aProject)
	}
	run(t, ctx, "switch to team-a",
		setValue(`#project-select`, "team-a"),
		chromedp.WaitNotPresent(chromedp.Search(`//table//td[1]/a[.="b-one"]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//td[1]/a[.="a-one"]`)))
	var headers []string
	run(t, ctx, "read the list's columns", into(&headers, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main thead th')].map(th => th.textContent)`)))
	if got := clusterNames(t, ctx); !slices.Equal(got, []string{"a-one"}) || slices.Contains(headers, "Project") {
		t.Errorf("the admin lists clusters %v in team-a, in columns %v (want no Project column)", got, headers)
	}
	var chosen, formProject string
	run(t, ctx, "reload in team-a",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.Search(`//table//td[1]/a[.="a-one"]`)),
		into(&chosen, chromedp.Value(chromedp.CSS(`#project-select`))),
		into(&formProject, chromedp.Value(chromedp.CSS(`form.cluster-form select[name="project"]`))))
	if got := clusterNames(t, ctx); chosen != "team-a" || !slices.Equal(got, []string{"a-one"}) {
		t.Errorf("after a reload the switcher shows %q and the list %v, want team-a and a-one", chosen, got)
	}
	if formProject != "team-a" {
		t.Errorf("the new-cluster form proposes project %q, want the switcher's team-a", formProject)
	}
	// The form's body carries the project: the browser's fetch is stood in for, so that
	// nothing is provisioned.
	var posted string
	run(t, ctx, "submit the new-cluster form",
		into(new(bool), chromedp.Evaluate[bool](`(() => {
			const real = window.fetch;
			window.fetch = (url, init) => {
				if (String(url).endsWith('/api/v1/clusters') && init && init.method === 'POST') {
					window.postedCluster = init.body;
					return Promise.resolve(new Response(JSON.stringify({title: 'Stood in', status: 422, detail: 'not sent'}),
						{status: 422, headers: {'Content-Type': 'application/problem+json'}}));
				}
				return real(url, init);
			};
			return true;
		})()`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="New cluster"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.cluster-form`)),
		setValue(`form.cluster-form select[name="project"]`, "team-b"),
		chromedp.SendKeys(chromedp.CSS(byName("name")), "b-three"),
		chromedp.Click(chromedp.CSS(`form.cluster-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//form[contains(@class,"cluster-form")]//*[contains(., "not sent")]`)),
		into(&posted, chromedp.Evaluate[string](`window.postedCluster`)))
	if !strings.Contains(posted, `"project":"team-b"`) || !strings.Contains(posted, `"name":"b-three"`) {
		t.Errorf("the new-cluster form posted %s, want project team-b", posted)
	}

	// A cluster's page names its project.
	var aProjectFact string
	run(t, ctx, "a-one's page",
		chromedp.Navigate(env.URL+"/#/clusters/a-one"),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Project"]`)),
		into(&aProjectFact, chromedp.Text(chromedp.Search(`//dt[.="Project"]/following-sibling::dd[1]/a[@href="#/projects/team-a"]`))))
	if aProjectFact != "team-a" {
		t.Errorf("a-one's page names project %q, want team-a", aProjectFact)
	}

	// team-b's page: each quota's numbers and bar.
	run(t, ctx, "team-b's page",
		chromedp.Navigate(env.URL+"/#/projects/team-b"),
		chromedp.WaitVisible(chromedp.CSS(`.quota[data-quota="vcpus"]`)))
	var quotas map[string]string
	run(t, ctx, "read the quotas", into(&quotas, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('.quota')].map(q =>
		[q.dataset.quota, q.className.replace('quota ', '') + ' | ' + q.querySelector('.quota-numbers').textContent + ' | ' + q.querySelector('.quota-bar').textContent +
			' | ' + (q.querySelector('.quota-fill') ? q.querySelector('.quota-fill').style.width : '')]))`)))
	want := map[string]string{
		"clusters":   "level-ok | 2 / 5 clusters |  | 40%",
		"vcpus":      "level-warn | 14 / 15 vCPUs |  | 93%",
		"memory_mib": "level-ok | 28.0 GiB / 64.0 GiB |  | 44%",
		"disk_gib":   "level-none | 160.0 GiB | no limit | ",
		"nodes":      "level-ok | 4 / 10 nodes |  | 40%",
	}
	for k, w := range want {
		if quotas[k] != w {
			t.Errorf("quota %s shows %q, want %q", k, quotas[k], w)
		}
	}
	var members []string
	run(t, ctx, "read the members", into(&members, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#members tbody tr')].map(tr => [...tr.cells].map(c => c.textContent).join(' '))`)))
	if !slices.Equal(members, []string{"alice person admin", "b-ops token operator"}) {
		t.Errorf("team-b's members %v", members)
	}
	var shot []byte
	run(t, ctx, "screenshot team-b", into(&shot, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "project-team-b.png", shot)

	// The admin adds a member; the list shows it, and so does the API.
	run(t, ctx, "add a member",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Edit members"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add member"]`)),
		chromedp.SendKeys(chromedp.CSS(byName("members[2].subject")), "carol"),
		setValue(byName("members[2].role"), "viewer"),
		into(&shot, chromedp.Screenshot(chromedp.CSS(`form.members-form`))),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save members"]`)),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="members"]//td[.="carol"]`)))
	saveScreenshot(t, "project-members-form.png", shot)
	var p api.ProjectReply
	env.Do("GET", "/api/v1/projects/team-b", admin, nil).JSON(t, &p)
	if len(p.Members) != 3 || !slices.Contains(p.Members, domain.ProjectMember{Subject: "carol", Kind: "person", Role: domain.RoleViewer}) {
		t.Errorf("team-b's members after the edit: %+v", p.Members)
	}

	// The projects list: clusters used of the quota.
	var row string
	run(t, ctx, "the projects list",
		chromedp.Navigate(env.URL+"/#/projects"),
		chromedp.WaitVisible(chromedp.Search(`//table//td[1]/a[.="team-b"]`)),
		into(&row, chromedp.Text(chromedp.Search(`//table//tr[td[1]/a[.="team-b"]]`))))
	if !strings.Contains(row, "2 / 5 clusters") || !strings.Contains(row, "Payments") {
		t.Errorf("team-b's row in the projects list = %q", row)
	}
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}
