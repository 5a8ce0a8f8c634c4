package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/interceptor"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// The operation page's decisions (issue 8), driven in headless Chromium against the real
// stack on a simulated datacenter: VMs boot into Kubernetes nodes, activities retry at
// once, and a fault makes the control plane's clone fail.

// workflowWait bounds a browser step that waits for a workflow to move on.
const workflowWait = 3 * time.Minute

// startDecisionPortal starts Clusterwright on a simulated datacenter whose vCenter fails
// calls as faults says, with fast automatic retries, vCenter vc1 and IP pool lab.
func startDecisionPortal(t *testing.T, faults *sim.Faults) *apptest.Env {
	t.Helper()
	env := apptest.StartWith(t, apptest.Options{Datacenter: true, VCenter: sim.VCenterOptions{Faults: faults},
		Interceptors: []interceptor.WorkerInterceptor{apptest.FastRetries()}})
	env.RegisterVCenter("vc1")
	env.CreateIPPool(domain.IPPoolInput{Name: "lab", CIDR: "127.75.0.0/24", RangeStart: "127.75.0.10", RangeEnd: "127.75.0.250",
		Gateway: "127.75.0.1", DNS: []string{"127.0.0.53"}})
	return env
}

// smallSpec is the cheapest cluster: one control plane, no workers, no KubeSphere (the
// network, cloud provider and CSI add-ons are always installed).
func smallSpec(name string) domain.ClusterSpec {
	return domain.ClusterSpec{
		Name: name, VCenter: "vc1", KubernetesVersion: domain.KubernetesVersions().Default,
		Placement: domain.Placement{Datacenter: sim.DefaultDatacenter, ComputeCluster: sim.DefaultCluster,
			Datastore: sim.DefaultDatastore, Network: sim.DefaultNetwork, Template: sim.DefaultTemplate},
		ControlPlane: domain.NodeShape{Replicas: 1, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40},
		WorkerPools:  []domain.WorkerPool{{Name: "default", NodeShape: domain.NodeShape{Replicas: 0, CPUs: 2, MemoryMiB: 4096, DiskGiB: 40}}},
		Network:      domain.NetworkSpec{IPPool: "lab"},
	}
}

// provisionFailing makes every clone of the cluster's control plane fail and starts its
// provision through the API, returning the operation's id.
func provisionFailing(t *testing.T, env *apptest.Env, faults *sim.Faults, name string) string {
	t.Helper()
	spec := smallSpec(name)
	if err := faults.Add(sim.Fault{Kind: sim.KindVSphereClone, VM: domain.PlanNodes(spec)[0].Name}); err != nil {
		t.Fatal(err)
	}
	r := env.Do("POST", "/api/v1/clusters", env.AdminToken, spec)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /clusters %s: %d %s", name, r.Status, r.Body)
	}
	var reply struct{ Operation domain.Operation }
	r.JSON(t, &reply)
	return reply.Operation.ID
}

// stateIs finds the operation summary's state when it is state.
func stateIs(state string) string {
	return `//dt[.="State"]/following-sibling::dd[1][normalize-space()="` + state + `"]`
}

// wfRow is what the waterfall shows in one step's row.
type wfRow struct {
	Found     bool     `json:"found"`
	Failed    int      `json:"failed"`    // failed attempt bars
	Succeeded int      `json:"succeeded"` // succeeded attempt bars
	Runs      int      `json:"runs"`      // run bands
	Waits     int      `json:"waits"`     // waits for a decision
	Labels    []string `json:"labels"`    // the bars' labels that are not empty
	Note      string   `json:"note"`
}

// readRow reads the waterfall's row of step into *dst.
func readRow(dst *wfRow, step string) chromedp.Action[chromedp.Void] {
	return into(dst, chromedp.Evaluate[wfRow](fmt.Sprintf(`(name => {
		const row = [...document.querySelectorAll('.waterfall .wf-rows .wf-row')]
			.find((r) => r.querySelector('.wf-name').textContent === name);
		if (!row) return { found: false };
		const count = (sel) => row.querySelectorAll(sel).length;
		return { found: true, failed: count('.wf-attempt.state-failed'), succeeded: count('.wf-attempt.state-succeeded'),
			runs: count('.wf-run'), waits: count('.wf-wait'), note: row.querySelector('.wf-note').textContent,
			labels: [...row.querySelectorAll('.wf-bar-label')].map((l) => l.textContent).filter(Boolean) };
	})(%q)`, step)))
}

// visibleButtons reads the text of every button on the page that is shown.
func visibleButtons(dst *[]string) chromedp.Action[chromedp.Void] {
	return into(dst, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null).map((b) => b.textContent.trim())`))
}

// recordStates makes the page note every state its summary shows, in window.cwStates,
// and marks the document (window.cwMarked): a reload would lose both.
var recordStates = into(new(bool), chromedp.Evaluate[bool](`(() => {
	const state = () => {
		const dd = document.evaluate('//dt[.="State"]/following-sibling::dd[1]', document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		return dd ? dd.textContent.trim() : '';
	};
	window.cwStates = [];
	window.cwMarked = true;
	const note = () => {
		const s = state();
		if (s && window.cwStates[window.cwStates.length - 1] !== s) window.cwStates.push(s);
	};
	note();
	new MutationObserver(note).observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
	return true;
})()`))

// recorded is what recordStates noted; marked is false after a reload.
type recorded struct {
	States []string `json:"states"`
	Marked bool     `json:"marked"`
}

func readRecorded(dst *recorded) chromedp.Action[chromedp.Void] {
	return into(dst, chromedp.Evaluate[recorded](`({ states: window.cwStates || [], marked: window.cwMarked === true })`))
}

// TestPortalDecisions provisions two clusters whose control-plane clones fail: each stops
// AwaitingDecision at create-control-plane. A viewer sees the decision panel (the step
// and the reason) and the failed attempts in the waterfall, and no Retry or Cancel. An
// operator, once the fault is gone, retries the first from the panel: the page follows it
// to Succeeded without a reload and the waterfall shows the second run, labelled with the
// operator's name. The second is canceled from the panel and ends Canceled.
func TestPortalDecisions(t *testing.T) {
	t.Parallel()
	started := time.Now()
	faults := sim.NewFaults()
	env := startDecisionPortal(t, faults)
	retried := provisionFailing(t, env, faults, "wf-retry")
	canceled := provisionFailing(t, env, faults, "wf-cancel")
	ctx := startBrowser(t)
	t.Logf("stack and browser up in %s", time.Since(started).Round(time.Millisecond))

	// A viewer watches the first provision stop: the panel names the step and the reason
	// the API gives, the waterfall shows the failed attempts and the wait, and nothing
	// offers to decide.
	signIn(t, ctx, env, env.Token("vera", domain.RoleViewer))
	var step, reason, watchOnly string
	var buttons []string
	var row wfRow
	runWithin(t, ctx, workflowWait, "the viewer's operation page",
		chromedp.Navigate(env.URL+"/#/operations/"+retried),
		chromedp.WaitVisible(chromedp.CSS(`section.decision`)),
		chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpAwaitingDecision))),
		chromedp.WaitVisible(chromedp.CSS(`.waterfall .wf-wait`)),
		readTexts([]*string{&step, &reason, &watchOnly}, `.decision p strong`, `.decision pre.step-error`, `.decision p.muted:last-child`),
		visibleButtons(&buttons),
		readRow(&row, workflows.StepCreateControlPlane))
	waiting := env.WaitOperation(retried)
	if waiting.State != domain.OpAwaitingDecision || waiting.Decision == nil {
		t.Fatalf("operation = %s (%s), want AwaitingDecision", waiting.State, waiting.Error)
	}
	if step != workflows.StepCreateControlPlane || reason != waiting.Decision.Reason || reason == "" {
		t.Errorf("panel names step %q with reason %q; want %s with %q", step, reason, workflows.StepCreateControlPlane, waiting.Decision.Reason)
	}
	if !strings.Contains(watchOnly, "viewer") {
		t.Errorf("the viewer is told %q, want that a viewer may only watch", watchOnly)
	}
	if slices.ContainsFunc(buttons, func(b string) bool { return strings.Contains(b, "Retry") || strings.Contains(b, "Cancel") }) {
		t.Errorf("a viewer is offered %q", buttons)
	}
	attempts := len(stepRun(t, waiting, workflows.StepCreateControlPlane, 1).Attempts)
	if !row.Found || attempts < 2 || row.Failed != attempts || row.Runs != 1 || row.Waits != 1 || !slices.Contains(row.Labels, "waiting for a decision") {
		t.Errorf("waterfall row of %s = %+v; want %d failed attempts in one run and the wait", workflows.StepCreateControlPlane, row, attempts)
	}

	// An operator sees Retry and Cancel in the panel.
	signIn(t, ctx, env, env.Token("olga", domain.RoleOperator))
	var shot []byte
	run(t, ctx, "the operator's operation page",
		chromedp.Navigate(env.URL+"/#/operations/"+retried),
		chromedp.WaitVisible(chromedp.CSS(`.decision [data-action=retry]`)),
		chromedp.WaitVisible(chromedp.CSS(`.decision [data-action=cancel]`)),
		chromedp.WaitVisible(chromedp.CSS(`.waterfall .wf-attempt.state-failed`)),
		into(&shot, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "decision-waiting.png", shot)

	// With the fault gone, Retry: the page shows the operation run and succeed, live.
	faults.Reset()
	var notice string
	var seen recorded
	runWithin(t, ctx, workflowWait, "retry",
		recordStates,
		chromedp.Click(chromedp.CSS(`.decision [data-action=retry]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notices .alert.info`)),
		readText(&notice, `.notices .alert.info`),
		chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpSucceeded))),
		chromedp.WaitVisible(chromedp.Search(`//span[contains(@class,"live")][.="finished"]`)),
		readRecorded(&seen),
		readRow(&row, workflows.StepCreateControlPlane),
		into(&shot, chromedp.Screenshot(chromedp.CSS(`figure.waterfall`))))
	saveScreenshot(t, "decision-retried-waterfall.png", shot)
	if !strings.Contains(notice, workflows.StepCreateControlPlane) {
		t.Errorf("retry notice = %q", notice)
	}
	if i := slices.Index(seen.States, domain.OpRunning); !seen.Marked || i < 0 || !slices.Contains(seen.States[i:], domain.OpSucceeded) {
		t.Errorf("the page showed states %q (marked %v); want Running then Succeeded without a reload", seen.States, seen.Marked)
	}
	if !row.Found || row.Runs != 2 || row.Failed != attempts || row.Succeeded < 1 || row.Waits != 1 ||
		!slices.Contains(row.Labels, "run 2 · retried by olga") || !strings.Contains(row.Note, "retried by olga") {
		t.Errorf("waterfall row of %s after the retry = %+v; want the failed run, the wait and run 2 retried by olga", workflows.StepCreateControlPlane, row)
	}
	done := env.WaitOperation(retried)
	if done.State != domain.OpSucceeded {
		t.Fatalf("retried provision = %s: %s", done.State, done.Error)
	}
	if st := stepOf(t, done, workflows.StepCreateControlPlane); len(st.Runs) != 2 || st.Runs[1].Actor != "olga" || st.Runs[1].State != domain.StepSucceeded {
		t.Errorf("runs of %s = %+v, want a second one by olga that succeeded", workflows.StepCreateControlPlane, st.Runs)
	}

	// The second provision is canceled from the panel, after the confirm dialog.
	runWithin(t, ctx, workflowWait, "cancel",
		chromedp.Navigate(env.URL+"/#/operations/"+canceled),
		chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpAwaitingDecision))),
		recordStates,
		chromedp.Click(chromedp.CSS(`.decision [data-action=cancel]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.confirm[open]`)),
		chromedp.Click(chromedp.CSS(`dialog.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"alert")][contains(., "Cancellation requested")]`)),
		chromedp.WaitVisible(chromedp.Search(stateIs(domain.OpCanceled))),
		readRecorded(&seen),
		into(&shot, chromedp.FullScreenshot(100)))
	saveScreenshot(t, "decision-canceled.png", shot)
	if n := len(seen.States); !seen.Marked || n == 0 || seen.States[n-1] != domain.OpCanceled {
		t.Errorf("the page showed states %q (marked %v); want Canceled without a reload", seen.States, seen.Marked)
	}
	if op := env.WaitOperationEnd(canceled, time.Minute); op.State != domain.OpCanceled {
		t.Errorf("canceled provision = %s: %s", op.State, op.Error)
	}
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}

// stepOf returns the named step of an operation.
func stepOf(t *testing.T, op domain.Operation, name string) domain.Step {
	t.Helper()
	i := slices.IndexFunc(op.Steps, func(s domain.Step) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("operation has no step %s: %+v", name, op.Steps)
	}
	return op.Steps[i]
}

// stepRun returns run n (from 1) of the named step.
func stepRun(t *testing.T, op domain.Operation, name string, n int) domain.StepRun {
	t.Helper()
	st := stepOf(t, op, name)
	if len(st.Runs) < n {
		t.Fatalf("step %s has %d runs, want at least %d: %+v", name, len(st.Runs), n, st)
	}
	return st.Runs[n-1]
}
