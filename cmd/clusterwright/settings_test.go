package main

import (
	"io"
	"slices"
	"testing"

	"github.com/clusterwright/clusterwright/app"
)

// notTakenBy are the settings a command leaves out on purpose; any other setting of
// app.Config it must take, or the setting's variable is silently ignored by it.
var notTakenBy = map[string][]string{
	"serve":  {"state-dir"},
	"worker": slices.Concat([]string{"state-dir"}, serveFlags, apiEdgeFlags, app.SSOFlags()),
}

// TestProcessesTakeTheirSettings checks that serve and worker take every setting that
// configures what they run (a new setting must be bound, or listed in notTakenBy), and
// read the ones the deploy files give them (deploy/helm, deploy/compose.yaml) from the
// environment.
func TestProcessesTakeTheirSettings(t *testing.T) {
	var cfg app.Config
	for _, cmd := range commands() {
		skip, ok := notTakenBy[cmd.name]
		if !ok {
			continue
		}
		for _, s := range cfg.Settings() {
			if !slices.Contains(cmd.flags, s.Flag) && !slices.Contains(skip, s.Flag) {
				t.Errorf("%s does not take --%s ($%s)", cmd.name, s.Flag, s.Env)
			}
		}
	}

	env := map[string]string{
		"CLUSTERWRIGHT_RECONCILE_INTERVAL":      "7s",
		"CLUSTERWRIGHT_RECONCILE_GRACE":         "3m",
		"CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS": "4",
		"CLUSTERWRIGHT_OLD_SECRET_KEY_FILES":    "/keys/a,/keys/b",
		"CLUSTERWRIGHT_KUBECONFIG_MAX_TTL":      "2h",
		"CLUSTERWRIGHT_CHART_MIRROR":            "oci://registry.example/charts",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard}
	for _, name := range []string{"serve", "worker", "dev"} {
		cfg, _, err := parse(c, name, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := map[string]string{
			"CLUSTERWRIGHT_RECONCILE_INTERVAL":      cfg.ReconcileInterval,
			"CLUSTERWRIGHT_RECONCILE_GRACE":         cfg.ReconcileGrace,
			"CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS": cfg.StuckWorkflowAttempts,
			"CLUSTERWRIGHT_OLD_SECRET_KEY_FILES":    cfg.OldSecretKeyFiles,
		}
		if name != "worker" { // the worker issues no kubeconfig
			got["CLUSTERWRIGHT_KUBECONFIG_MAX_TTL"] = cfg.KubeconfigMaxTTL
		}
		if name != "dev" { // dev serves the simulator's charts
			got["CLUSTERWRIGHT_CHART_MIRROR"] = cfg.ChartMirror
		}
		for k, v := range got {
			if v != env[k] {
				t.Errorf("%s: %s gives %q, want %q", name, k, v, env[k])
			}
		}
		if _, _, err := parse(c, name, []string{"--reconcile-interval=0", "--reconcile-grace=1m", "--stuck-workflow-attempts=10"}, nil); err != nil {
			t.Errorf("%s does not take the reconcile flags: %v", name, err)
		}
	}
}
