package main

import (
	"io"
	"testing"
)

// TestProcessesTakeTheirSettings checks that serve and worker read the settings the
// deploy files give them (deploy/helm, deploy/compose.yaml) from the environment, as
// flags too: a setting a command does not bind is silently ignored.
func TestProcessesTakeTheirSettings(t *testing.T) {
	env := map[string]string{
		"CLUSTERWRIGHT_RECONCILE_INTERVAL":      "7s",
		"CLUSTERWRIGHT_RECONCILE_GRACE":         "3m",
		"CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS": "4",
		"CLUSTERWRIGHT_OLD_SECRET_KEY_FILES":    "/keys/a,/keys/b",
		"CLUSTERWRIGHT_KUBECONFIG_MAX_TTL":      "2h",
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
