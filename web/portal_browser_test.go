package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// The portal's cluster lifecycle, driven in headless Chromium against the real API
// (Postgres, Temporal test server, worker, vcsim; no Kubernetes: the test checks what the
// portal sends and shows, not the provisioning itself).

// browserLife bounds how long one test's browser runs.
const browserLife = 10 * time.Minute

// startBrowser starts Debian's headless Chromium; the test fails when it is not installed.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the portal tests drive Chromium (apt-get install chromium): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	// The browser lives at most browserLife: a test that waits on it past that fails
	// instead of hanging the package until its timeout.
	life, cancelLife := context.WithTimeout(context.Background(), browserLife)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc(); cancelLife() })
	// The first action starts the browser; its context must not carry a deadline (that
	// would stop the browser when it passes), so the start is bounded by a timer.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("chromium did not start within a minute")
	}
	return ctx
}

// into runs a reading action and keeps its value in *dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := a(ctx, tg)
		*dst = v
		return err
	})
}

// readTexts waits until each selector finds an element and reads the rendered text of
// the first each finds (innerText, as chromedp.Text), all in one evaluation in the page,
// into the strings of dst, in order. A selector that starts with "/" or "(" is XPath, any
// other CSS. Pages that follow an operation redraw as it goes: a node that a query found
// may be gone by the time a second call reads its text ("No node with given id found"),
// while an evaluation finds and reads at once, from one drawing of the page.
func readTexts(dst []*string, selectors ...string) chromedp.Action[chromedp.Void] {
	read := chromedp.PollFunction[[]string](`(selectors) => {
		const texts = [];
		for (const s of selectors) {
			const n = s.startsWith('/') || s.startsWith('(')
				? document.evaluate(s, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue
				: document.querySelector(s);
			if (!n) return null;
			texts.push(n.innerText);
		}
		return texts;
	}`, chromedp.WithPollingArgs(selectors))
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		texts, err := read(ctx, tg)
		if err != nil {
			return fmt.Errorf("read %q: %w", selectors, err)
		}
		if len(texts) != len(dst) {
			return fmt.Errorf("read %q: %d texts for %d strings", selectors, len(texts), len(dst))
		}
		for i, text := range texts {
			*dst[i] = text
		}
		return nil
	})
}

// readText is readTexts of one element.
func readText(dst *string, selector string) chromedp.Action[chromedp.Void] {
	return readTexts([]*string{dst}, selector)
}

// run runs browser actions with a deadline, failing the test with what step was doing.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	runWithin(t, ctx, 45*time.Second, what, actions...)
}

// runWithin is run with another deadline, for steps that wait on a workflow.
func runWithin(t *testing.T, ctx context.Context, timeout time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(stepCtx, actions...); err != nil {
		shortCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		body, _ := chromedp.Run(shortCtx, chromedp.Text(chromedp.CSS("main")))
		if len(body) > 1500 {
			body = "…" + body[len(body)-1500:]
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// The stack runs in this process (the tests of the package side by side).
			t.Logf("%s timed out; where operations wait:\n%s", what, apptest.WaitingGoroutines())
		}
		t.Fatalf("%s: %v\npage ends: %s", what, err, body)
	}
}

// startPortal starts Clusterwright with vCenter vc1 registered and synced and IP pool lab.
func startPortal(t *testing.T) *apptest.Env {
	t.Helper()
	env := apptest.Start(t)
	env.RegisterVCenter("vc1")
	env.CreateIPPool(domain.IPPoolInput{Name: "lab", CIDR: "127.74.0.0/24", RangeStart: "127.74.0.10", RangeEnd: "127.74.0.250", Gateway: "127.74.0.1"})
	return env
}

// signIn opens the portal and signs in with token through the sign-in form.
func signIn(t *testing.T, ctx context.Context, env *apptest.Env, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(env.URL+"/"),
		into(new(any), chromedp.Evaluate[any](`sessionStorage.clear()`)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Click(chromedp.CSS(`form.signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#nav`)))
}

// byName is the selector of the form input named by an API field path.
func byName(name string) string { return `[name="` + name + `"]` }

// errorOf is the selector of the error message next to the input named name.
func errorOf(name string) string { return `[data-field="` + name + `"] .field-error` }

// fillSpec fills the new-cluster form: a spec that passes every check, except for the
// values in override.
func fillSpec(t *testing.T, ctx context.Context, name string, override map[string]string) {
	t.Helper()
	values := map[string]string{
		"placement.compute_cluster": sim.DefaultCluster, "placement.datastore": sim.DefaultDatastore,
		"placement.network": sim.DefaultNetwork, "placement.template": sim.DefaultTemplate,
		"network.ip_pool": "lab", "control_plane.cpus": "2", "control_plane.memory_mib": "4096", "control_plane.disk_gib": "40",
		"worker_pools[0].cpus": "2", "worker_pools[0].memory_mib": "4096", "worker_pools[0].disk_gib": "40",
		"worker_pools[0].replicas": "2",
	}
	for k, v := range override {
		values[k] = v
	}
	actions := []chromedp.Action[chromedp.Void]{
		setValue(byName("name"), ""),
		chromedp.SendKeys(chromedp.CSS(byName("name")), name),
	}
	for k, v := range values {
		actions = append(actions, setValue(byName(k), v))
	}
	run(t, ctx, "fill the new-cluster form", actions...)
}

// setValue sets the value of the input or select that selector finds, as a user's
// choice would: with a change event.
func setValue(selector, value string) chromedp.Action[chromedp.Void] {
	sel, _ := json.Marshal(selector)
	val, _ := json.Marshal(value)
	return into(new(bool), chromedp.Evaluate[bool](fmt.Sprintf(
		`(e => { e.value = %s; e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === %s; })(document.querySelector(%s))`,
		val, val, sel)))
}

func clusterCount(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var list struct{ Items []domain.Cluster }
	env.Do("GET", "/api/v1/clusters", env.AdminToken, nil).JSON(t, &list)
	return len(list.Items)
}

// waitStep polls the operation until its step reaches state.
func waitStep(t *testing.T, env *apptest.Env, opID, step, state string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var op domain.Operation
		env.Do("GET", "/api/v1/operations/"+opID, env.AdminToken, nil).JSON(t, &op)
		for _, s := range op.Steps {
			if s.Name == step && s.State == state {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %s of %s never reached %s: %+v", step, opID, state, op)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPortalClusterLifecycle creates a cluster through the portal's form (a bad spec first:
// its field errors show at their inputs and nothing is created), then on the cluster's
// page: a personal kubeconfig saved as a file by a viewer (1h) and by an admin (8h), a delete
// refused while the provision runs (naming it), and a delete that opens its operation.
func TestPortalClusterLifecycle(t *testing.T) {
	t.Parallel()
	started := time.Now()
	ctx := startBrowser(t)
	env := startPortal(t)
	t.Logf("stack and browser up in %s", time.Since(started).Round(time.Millisecond))
	signIn(t, ctx, env, env.AdminToken)

	// With no cluster yet the form is open; it offers the vCenter's inventory once the
	// only vCenter is chosen for the user.
	run(t, ctx, "open the new-cluster form",
		chromedp.Navigate(env.URL+"/#/clusters"),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="New cluster"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.cluster-form`)),
		chromedp.WaitReady(chromedp.CSS(byName("placement.template")+` option[value="`+sim.DefaultTemplate+`"]`)),
		chromedp.WaitReady(chromedp.CSS(byName("network.ip_pool")+` option[value="lab"]`)))
	var version, dc string
	run(t, ctx, "read the defaults",
		into(&version, chromedp.Value(chromedp.CSS(byName("kubernetes_version")))),
		into(&dc, chromedp.Value(chromedp.CSS(byName("placement.datacenter")))))
	if want := domain.KubernetesVersions().Default; version != want || dc != sim.DefaultDatacenter {
		t.Errorf("form preselects version %q and datacenter %q, want %q and %q", version, dc, want, sim.DefaultDatacenter)
	}

	// A bad spec: each message shows next to its input, and nothing is created.
	fillSpec(t, ctx, "web-bad", map[string]string{"control_plane.cpus": "1", "worker_pools[0].replicas": "501", "addons.kubesphere.role": "member"})
	run(t, ctx, "submit the bad spec",
		chromedp.Click(chromedp.CSS(`form.cluster-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="control_plane.cpus"].invalid`)))
	var cpuMsg, replicasMsg, summary, kubesphereMsg string
	run(t, ctx, "read the field errors",
		into(&cpuMsg, chromedp.Text(chromedp.CSS(errorOf("control_plane.cpus")))),
		into(&kubesphereMsg, chromedp.Text(chromedp.CSS(errorOf("addons.kubesphere.enabled")))),
		into(&replicasMsg, chromedp.Text(chromedp.CSS(errorOf("worker_pools[0].replicas")))),
		into(&summary, chromedp.Text(chromedp.CSS(`form.cluster-form .form-error`))))
	if !strings.Contains(cpuMsg, "at least 2") {
		t.Errorf("message at the control plane's vCPUs = %q, want it to say at least 2", cpuMsg)
	}
	if !strings.Contains(replicasMsg, "500") {
		t.Errorf("message at the worker pool's replicas = %q, want the 0 to 500 range", replicasMsg)
	}
	if !strings.Contains(kubesphereMsg, "must be true for role member") {
		t.Errorf("message at KubeSphere's checkbox = %q, want that a member runs KubeSphere", kubesphereMsg)
	}
	if !strings.Contains(summary, "correct the marked fields") {
		t.Errorf("form summary = %q, want it to point at the marked fields", summary)
	}
	if n := clusterCount(t, env); n != 0 {
		t.Fatalf("%d clusters after a rejected spec, want none", n)
	}
	if r := env.Do("GET", "/api/v1/clusters/web-bad", env.AdminToken, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET the rejected cluster = %d, want 404", r.Status)
	}
	var shot []byte
	run(t, ctx, "screenshot the form", into(&shot, chromedp.Screenshot(chromedp.CSS(`form.cluster-form`))))
	saveScreenshot(t, "new-cluster-form.png", shot)

	// A valid spec: the provisioning operation's live view opens.
	fillSpec(t, ctx, "web-good", map[string]string{"addons.kubesphere.role": "host", "network.control_plane_endpoint": "127.74.0.5"})
	var heading, kind string
	run(t, ctx, "submit the valid spec",
		chromedp.Click(chromedp.CSS(`form.cluster-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[starts-with(., "Operation ")]`)),
		readTexts([]*string{&heading, &kind}, `//h1[starts-with(., "Operation ")]`, `//dt[.="Kind"]/following-sibling::dd[1]`))
	opID := strings.TrimPrefix(heading, "Operation ")
	if kind != domain.OpProvisionCluster || opID == heading {
		t.Fatalf("after create the page shows %q (kind %q), want the provision operation", heading, kind)
	}
	var c domain.Cluster
	if r := env.Do("GET", "/api/v1/clusters/web-good", env.AdminToken, nil); r.Status != http.StatusOK {
		t.Fatalf("the created cluster: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &c)
	}
	if c.Spec.ControlPlane.CPUs != 2 || len(c.Spec.WorkerPools) != 1 || c.Spec.WorkerPools[0].Replicas != 2 || c.Spec.Addons.VSphereCSI == nil || c.Spec.Addons.VSphereCSI.DefaultClass == nil || !*c.Spec.Addons.VSphereCSI.DefaultClass {
		t.Errorf("recorded spec %+v is not what the form said", c.Spec)
	}
	if c.Spec.Network.ControlPlaneEndpoint != "127.74.0.5" {
		t.Errorf("recorded control-plane VIP %q, want the form's 127.74.0.5", c.Spec.Network.ControlPlaneEndpoint)
	}

	// Delete while the provision runs: the dialog's delete is refused, naming the provision.
	run(t, ctx, "delete during the provision",
		chromedp.Navigate(env.URL+"/#/clusters/web-good"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Delete…"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.confirm`)),
		chromedp.Click(chromedp.CSS(`#delete-volumes`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notices .alert a[href="#/operations/`+opID+`"]`)))

	// The provision is canceled (through the API) and its compensation awaited; the
	// cluster is marked Ready below, as a finished provision would leave it.
	waitStep(t, env, opID, workflows.StepAllocateAddresses, domain.StepSucceeded)
	if r := env.Do("POST", "/api/v1/operations/"+opID+"/cancel", env.AdminToken, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel the provision: %d %s", r.Status, r.Body)
	}
	if op := env.WaitOperation(opID); op.State != domain.OpCanceled {
		t.Fatalf("provision after cancel = %s %s", op.State, op.Error)
	}
	// The cluster's CA is made as a provision makes it, so that personal kubeconfigs can
	// be issued without Kubernetes.
	if err := (&bootstrap.Source{Store: env.App.Store}).Prepare(context.Background(), c.ID, "127.74.0.5:6443"); err != nil {
		t.Fatal(err)
	}
	if err := env.App.Store.SetClusterPhase(context.Background(), c.ID, domain.PhaseReady, ""); err != nil {
		t.Fatal(err)
	}

	// A viewer saves one of their own, valid for the hour chosen; an admin one for the
	// default 8h. The page never shows a kubeconfig.
	downloads := t.TempDir()
	allowDownloads := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	})
	signIn(t, ctx, env, env.Token("view", domain.RoleViewer))
	var page, endpoint string
	run(t, ctx, "kubeconfig as a viewer",
		allowDownloads,
		chromedp.Navigate(env.URL+"/#/clusters/web-good"),
		chromedp.SetValue(chromedp.CSS(`select[name="ttl"]`), "1h"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Download kubeconfig"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"alert")][contains(., "Saved web-good.kubeconfig")][contains(., "1h")]`)),
		into(&page, chromedp.OuterHTML(chromedp.CSS(`html`))))
	saved := waitFile(t, filepath.Join(downloads, "web-good.kubeconfig"))
	cert, err := bootstrap.KubeconfigClientCertificate(saved)
	if err != nil || cert.Subject.CommonName != domain.KubeUser("view") || cert.Subject.Organization[0] != domain.RoleViewer.KubeGroup() {
		t.Fatalf("viewer's kubeconfig: %v %v", cert, err)
	}
	if left := time.Until(cert.NotAfter); left > time.Hour || left < 58*time.Minute {
		t.Errorf("viewer's kubeconfig of 1h expires in %s", left)
	}
	if strings.Contains(page, "client-key-data") || strings.Contains(page, "PRIVATE KEY") {
		t.Error("the kubeconfig is in the page")
	}
	if err := os.Remove(filepath.Join(downloads, "web-good.kubeconfig")); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, env, env.AdminToken)
	run(t, ctx, "kubeconfig as an admin",
		allowDownloads,
		chromedp.Navigate(env.URL+"/#/clusters/web-good"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Download kubeconfig"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"alert")][contains(., "Saved web-good.kubeconfig")][contains(., "8h")]`)),
		into(&endpoint, chromedp.Text(chromedp.Search(`//dt[.="API endpoint"]/following-sibling::dd[1]`))))
	// The cluster page shows the API endpoint: the VIP the form gave, served by kube-vip.
	if !strings.Contains(endpoint, "127.74.0.5:6443") || !strings.Contains(endpoint, "virtual IP") {
		t.Errorf("API endpoint on the cluster page = %q, want the VIP 127.74.0.5:6443", endpoint)
	}
	saved = waitFile(t, filepath.Join(downloads, "web-good.kubeconfig"))
	if cert, err := bootstrap.KubeconfigClientCertificate(saved); err != nil || cert.Subject.CommonName != domain.KubeUser("admin") {
		t.Fatalf("admin's kubeconfig: %v %v", cert, err)
	}

	// Delete (without the volumes: the stand-in kubeconfig reaches no API server): the
	// delete operation's view opens and the cluster goes.
	run(t, ctx, "delete",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Delete…"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.confirm`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//dt[.="Kind"]/following-sibling::dd[1][.="`+domain.OpDeleteCluster+`"]`)),
		readText(&heading, `//h1[starts-with(., "Operation ")]`))
	del := env.WaitOperation(strings.TrimPrefix(heading, "Operation "))
	if del.Kind != domain.OpDeleteCluster || del.State != domain.OpSucceeded {
		t.Fatalf("delete operation: %s %s %s", del.Kind, del.State, del.Error)
	}
	if n := clusterCount(t, env); n != 0 {
		t.Errorf("%d clusters after the delete, want none", n)
	}
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}

// waitFile waits for a download to land and returns its content.
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("no download at %s (%v); the directory holds %v", path, err, entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// saveScreenshot keeps a PNG in the test's temporary directory, or in
// $CLUSTERWRIGHT_SCREENSHOT_DIR when set (to look at it).
func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG (%d bytes)", name, len(png))
	}
	dir := os.Getenv("CLUSTERWRIGHT_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}
