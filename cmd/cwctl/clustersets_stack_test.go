package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/workflows"
)

// clusterSetLimit bounds forming or disbanding a set of one cluster, followed to its end.
const clusterSetLimit = 3 * time.Minute

// TestClusterSetsAgainstTheRealStack forms and disbands a ClusterSet with cwctl against
// the real API on a simulated datacenter, with the cheapest set there is: one cluster of
// one control plane, the leader alone. A set naming an unknown cluster is refused naming
// the field (exit 2); `clustersets create -f --wait` follows the forming to Succeeded;
// list and get show the set Ready, the leader Joined and Ready with its control plane as
// the gateway; the leader's leave and an unknown cluster's join are refused (exit 2);
// `clustersets delete --wait` disbands it and the set is gone.
func TestClusterSetsAgainstTheRealStack(t *testing.T) {
	started := time.Now()
	env := apptest.StartDecisionDatacenter(t, "84", sim.NewFaults())
	spec := apptest.ClusterSpec("solo", 1, 0)
	spec.WorkerPools, spec.Addons.KubeSphere = nil, nil
	op := apptest.StartProvision(t, env, spec)
	if op = env.WaitOperationEnd(op.ID, apptest.ProvisionTimeout); op.State != domain.OpSucceeded {
		t.Fatalf("provision of solo = %s: %s", op.State, op.Error)
	}
	t.Logf("the lab and its cluster took %s", time.Since(started).Round(time.Second))
	t.Setenv(envURL, env.URL)
	t.Setenv(envToken, env.AdminToken)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	r := cwctl(t, "clustersets", "create", "-f", write("bad.yaml", "name: cs1\nleader: solo\nmembers: [nowhere]\n"))
	if r.code != 2 || !regexp.MustCompile(`(?m)^  members\[0\]: .*"nowhere" does not exist`).MatchString(r.stderr) {
		t.Fatalf("a set naming an unknown cluster: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = ok(t, "clustersets", "list"); r.stdout != "NAME  LEADER  PHASE  MEMBERS  READY\n" {
		t.Errorf("clustersets list after a refused set:\n%s", r.stdout)
	}

	formed := time.Now()
	r = cwctlWithin(t, clusterSetLimit, "clustersets", "create", "-f", write("cs1.yaml", "name: cs1\nleader: solo\n"), "--wait")
	if r.code != 0 || !regexp.MustCompile(`^operation \S+: clusterset.form clusterset/cs1 \w+\n`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^\S+Z\s+`+workflows.StepSetUpLeader+`\s+Succeeded\s+attempts=1$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`\noperation \S+ Succeeded\n$`).MatchString(r.stdout) {
		t.Fatalf("clustersets create --wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("forming the set took %s", time.Since(formed).Round(time.Second))

	if r = ok(t, "clustersets", "list"); !regexp.MustCompile(`(?m)^cs1\s+solo\s+Ready\s+1\s+1$`).MatchString(r.stdout) {
		t.Errorf("clustersets list:\n%s", r.stdout)
	}
	r = ok(t, "clustersets", "get", "cs1")
	for _, want := range []string{
		`(?m)^leader:\s+solo$`, `(?m)^phase:\s+Ready$`, `(?m)^operation:\s+-$`,
		`(?m)^gateway ip precedence:\s+private$`, `(?m)^endpoint ip type:\s+ClusterIP$`,
		fmt.Sprintf(`(?m)^solo\s+leader\s+Joined\s+yes\s+%[1]s\s+%[1]s\s+-\s+-$`, domain.VMName("solo", domain.ControlPlanePool, 0)),
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("clustersets get does not match %s:\n%s", want, r.stdout)
		}
	}
	var set domain.ClusterSet
	if decode(t, ok(t, "clustersets", "get", "cs1", "-o", "json"), &set); set.Phase != domain.ClusterSetReady || len(set.Members) != 1 {
		t.Errorf("clustersets get -o json = %+v", set)
	}

	if r = cwctl(t, "clustersets", "leave", "cs1", "solo"); r.code != 2 || !strings.Contains(r.stderr, "disband the set instead") {
		t.Errorf("the leader's leave: exit %d %q", r.code, r.stderr)
	}
	if r = cwctl(t, "clustersets", "join", "cs1", "--cluster", "nowhere"); r.code != 2 ||
		!regexp.MustCompile(`(?m)^  cluster: .*"nowhere" does not exist`).MatchString(r.stderr) {
		t.Errorf("an unknown cluster's join: exit %d %q", r.code, r.stderr)
	}

	disbanded := time.Now()
	r = cwctlWithin(t, clusterSetLimit, "clustersets", "delete", "cs1", "--wait")
	if r.code != 0 || !regexp.MustCompile(`^operation \S+: clusterset.disband clusterset/cs1 \w+\n`).MatchString(r.stdout) ||
		!regexp.MustCompile(`\noperation \S+ Succeeded\n$`).MatchString(r.stdout) {
		t.Fatalf("clustersets delete --wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("disbanding the set took %s", time.Since(disbanded).Round(time.Second))
	if r = cwctl(t, "clustersets", "get", "cs1"); r.code != 2 || !strings.Contains(r.stderr, "cs1") {
		t.Errorf("clustersets get of the disbanded set: exit %d %q", r.code, r.stderr)
	}
	if c := apptest.GetCluster(t, env, "solo"); c.ClusterSet != nil {
		t.Errorf("solo is still in %+v", c.ClusterSet)
	}
}
