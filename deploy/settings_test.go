package deploy

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// settingDefaults maps each setting's environment variable to its default in app.Config.
func settingDefaults() map[string]string {
	defaults := map[string]string{}
	for _, s := range configSettings() {
		defaults[s.Env] = s.Default
	}
	return defaults
}

// renderDeployments renders the chart with the secrets, the worker and overrides, and
// decodes the serve and worker Deployments.
func renderDeployments(t *testing.T, overrides map[string]any) (serve, worker *appsv1.Deployment) {
	t.Helper()
	values := map[string]any{
		"masterKey": map[string]any{"existingSecret": "cw-key"},
		"database":  map[string]any{"existingSecret": "cw-db"},
		"worker":    map[string]any{"enabled": true},
	}
	for k, v := range overrides {
		values[k] = v
	}
	out, err := renderChart(values)
	if err != nil {
		t.Fatal(err)
	}
	serve, worker = &appsv1.Deployment{}, &appsv1.Deployment{}
	strict(t, out, "deployment.yaml", serve)
	strict(t, out, "worker-deployment.yaml", worker)
	return serve, worker
}

// TestChartReconcileAndKubeconfigTTL checks that the reconcile settings reach serve and
// worker and the kubeconfig TTL reaches serve, with values.yaml's defaults equal to the
// server's own and set values passed as given.
func TestChartReconcileAndKubeconfigTTL(t *testing.T) {
	defaults := settingDefaults()
	values := readYAML(t, filepath.Join(chartDir, "values.yaml"))
	for env, path := range map[string][]string{
		"CLUSTERWRIGHT_RECONCILE_INTERVAL":      {"reconcile", "interval"},
		"CLUSTERWRIGHT_RECONCILE_GRACE":         {"reconcile", "grace"},
		"CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS": {"reconcile", "stuckWorkflowAttempts"},
		"CLUSTERWRIGHT_KUBECONFIG_MAX_TTL":      {"kubeconfigMaxTTL"},
	} {
		if got := str(get(values, path...)); !sameValue(got, defaults[env]) {
			t.Errorf("values.yaml %s = %q, want the server's default of %s, %q", strings.Join(path, "."), got, env, defaults[env])
		}
	}

	serve, worker := renderDeployments(t, nil)
	both := map[string]string{
		"CLUSTERWRIGHT_RECONCILE_INTERVAL":      defaults["CLUSTERWRIGHT_RECONCILE_INTERVAL"],
		"CLUSTERWRIGHT_RECONCILE_GRACE":         defaults["CLUSTERWRIGHT_RECONCILE_GRACE"],
		"CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS": defaults["CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS"],
	}
	checkEnv(t, serve, both)
	checkEnv(t, worker, both)
	if v, _ := env(serve, "CLUSTERWRIGHT_KUBECONFIG_MAX_TTL"); !sameValue(v, defaults["CLUSTERWRIGHT_KUBECONFIG_MAX_TTL"]) {
		t.Errorf("serve: CLUSTERWRIGHT_KUBECONFIG_MAX_TTL = %q, want the default %s", v, defaults["CLUSTERWRIGHT_KUBECONFIG_MAX_TTL"])
	}
	if v, ok := env(worker, "CLUSTERWRIGHT_KUBECONFIG_MAX_TTL"); ok {
		t.Errorf("the worker, which issues no kubeconfig, got CLUSTERWRIGHT_KUBECONFIG_MAX_TTL %q", v)
	}

	serve, worker = renderDeployments(t, map[string]any{
		"reconcile":        map[string]any{"interval": 0, "grace": "5m", "stuckWorkflowAttempts": 3},
		"kubeconfigMaxTTL": "2h",
	})
	set := map[string]string{
		"CLUSTERWRIGHT_RECONCILE_INTERVAL":      "0",
		"CLUSTERWRIGHT_RECONCILE_GRACE":         "5m",
		"CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS": "3",
	}
	checkEnv(t, serve, set)
	checkEnv(t, worker, set)
	checkEnv(t, serve, map[string]string{"CLUSTERWRIGHT_KUBECONFIG_MAX_TTL": "2h"})
}

// TestChartOldKeys checks the old master keys: none by default; when given, the listed
// keys of the Secret (a list, or a comma-separated string from --set) are mounted read-only
// in serve and worker and named in CLUSTERWRIGHT_OLD_SECRET_KEY_FILES; a Secret without
// keys, or keys without a Secret, fails to render with a message naming the value.
func TestChartOldKeys(t *testing.T) {
	serve, worker := renderDeployments(t, nil)
	for _, d := range []*appsv1.Deployment{serve, worker} {
		if v, ok := env(d, "CLUSTERWRIGHT_OLD_SECRET_KEY_FILES"); ok {
			t.Errorf("%s: no old keys set, yet CLUSTERWRIGHT_OLD_SECRET_KEY_FILES = %q", d.Name, v)
		}
		if v := volume(d, "old-keys"); v != nil {
			t.Errorf("%s: no old keys set, yet volume %+v", d.Name, v)
		}
		if m := mount(d, "old-keys"); m != nil {
			t.Errorf("%s: no old keys set, yet mount %+v", d.Name, m)
		}
	}

	for name, keys := range map[string]any{
		"list":   []any{"secret-key", "master-1.key"},
		"string": "secret-key, master-1.key",
	} {
		t.Run(name, func(t *testing.T) {
			serve, worker := renderDeployments(t, map[string]any{
				"masterKey": map[string]any{"existingSecret": "cw-key-2", "oldKeys": map[string]any{"existingSecret": "cw-key", "keys": keys}},
			})
			for _, d := range []*appsv1.Deployment{serve, worker} {
				v := volume(d, "old-keys")
				if v == nil || v.Secret == nil || v.Secret.SecretName != "cw-key" {
					t.Fatalf("%s: old-keys volume %+v, want Secret cw-key", d.Name, v)
				}
				var items []string
				for _, it := range v.Secret.Items {
					items = append(items, it.Key+"="+it.Path)
				}
				if got := strings.Join(items, " "); got != "secret-key=secret-key master-1.key=master-1.key" {
					t.Errorf("%s: old-keys items %s, want only the listed keys, each at its own name", d.Name, got)
				}
				m := mount(d, "old-keys")
				if m == nil || m.MountPath != "/etc/clusterwright/old-keys" || !m.ReadOnly {
					t.Fatalf("%s: old-keys mount %+v, want /etc/clusterwright/old-keys read-only", d.Name, m)
				}
				checkEnv(t, d, map[string]string{
					"CLUSTERWRIGHT_OLD_SECRET_KEY_FILES": m.MountPath + "/secret-key," + m.MountPath + "/master-1.key",
				})
				c := d.Spec.Template.Spec.Containers[0]
				for _, e := range c.Env {
					if e.Name == "CLUSTERWRIGHT_SECRET_KEY" && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef.Name != "cw-key-2") {
						t.Errorf("%s: the primary key %+v, want it from cw-key-2", d.Name, e)
					}
				}
			}
		})
	}

	secrets := map[string]any{"existingSecret": "cw-key"}
	for name, tc := range map[string]struct {
		oldKeys map[string]any
		want    string
	}{
		"secret without keys": {map[string]any{"existingSecret": "cw-key-1"}, "masterKey.oldKeys.keys is required"},
		"blank keys":          {map[string]any{"existingSecret": "cw-key-1", "keys": " , "}, "masterKey.oldKeys.keys is required"},
		"keys without secret": {map[string]any{"keys": []any{"secret-key"}}, "masterKey.oldKeys.existingSecret is required"},
	} {
		mk := map[string]any{"oldKeys": tc.oldKeys}
		for k, v := range secrets {
			mk[k] = v
		}
		_, err := renderChart(map[string]any{"masterKey": mk, "database": map[string]any{"existingSecret": "cw-db"}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

// sameValue reports whether two settings are equal: the same text, or the same duration
// ("24h" and "24h0m0s"). Empty is never the same.
func sameValue(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	da, errA := time.ParseDuration(a)
	db, errB := time.ParseDuration(b)
	return a == b || (errA == nil && errB == nil && da == db)
}

func env(d *appsv1.Deployment, name string) (string, bool) {
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func checkEnv(t *testing.T, d *appsv1.Deployment, want map[string]string) {
	t.Helper()
	for name, value := range want {
		if got, ok := env(d, name); !ok || got != value {
			t.Errorf("%s: %s = %q (set: %v), want %q", d.Name, name, got, ok, value)
		}
	}
}

func volume(d *appsv1.Deployment, name string) *corev1.Volume {
	for i, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return &d.Spec.Template.Spec.Volumes[i]
		}
	}
	return nil
}

func mount(d *appsv1.Deployment, name string) *corev1.VolumeMount {
	for i, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
		if m.Name == name {
			return &d.Spec.Template.Spec.Containers[0].VolumeMounts[i]
		}
	}
	return nil
}

// TestComposeDefaults checks that every setting compose.yaml takes from the environment
// with a fallback (${VAR:-default}) falls back to the server's own default, and that
// the reconcile and kubeconfig settings are there to be set.
func TestComposeDefaults(t *testing.T) {
	defaults := settingDefaults()
	services, _ := get(readYAML(t, "compose.yaml"), "services").(map[string]any)
	fallback := regexp.MustCompile(`^\$\{([A-Z0-9_]+):-(.*)\}$`)
	for name, want := range map[string][]string{
		"clusterwright": {"CLUSTERWRIGHT_RECONCILE_INTERVAL", "CLUSTERWRIGHT_RECONCILE_GRACE", "CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS", "CLUSTERWRIGHT_KUBECONFIG_MAX_TTL"},
		"worker":        {"CLUSTERWRIGHT_RECONCILE_INTERVAL", "CLUSTERWRIGHT_RECONCILE_GRACE", "CLUSTERWRIGHT_STUCK_WORKFLOW_ATTEMPTS"},
	} {
		env, _ := get(services[name], "environment").(map[string]any)
		for _, k := range want {
			if env[k] == nil {
				t.Errorf("%s: environment lacks %s", name, k)
			}
		}
		for k, v := range env {
			m := fallback.FindStringSubmatch(str(v))
			if m == nil || m[1] != k || defaults[k] == "" {
				continue
			}
			if !sameValue(m[2], defaults[k]) {
				t.Errorf("%s: %s falls back to %q, the server's default is %q", name, k, m[2], defaults[k])
			}
		}
	}
}
