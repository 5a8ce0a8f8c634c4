package addons_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	helmtime "helm.sh/helm/v3/pkg/time"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/clusterwright/clusterwright/activities/addons"
)

// waitPassword stands in for a secret value of the test chart.
const waitPassword = "Wait-S3cret-Pw"

// TestWaitAndRecovery uses a tiny chart of its own (testdata/waitdemo, an
// unpacked chart directory): waiting for readiness, a failed release and
// its repair, releases left pending by an interrupted operation, and a
// chart whose failure message would show a secret.
func TestWaitAndRecovery(t *testing.T) {
	t.Parallel()
	c := sharedCluster(t)
	logger, logs := testLogger(t)
	inst := &addons.Installer{CacheDir: t.TempDir(), Logger: logger}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const ns = "cw-waitdemo"
	rel := func(vals map[string]any, timeout time.Duration) addons.Release {
		return addons.Release{
			Name: "waitdemo", Namespace: ns, CreateNamespace: true,
			Source: addons.Source{Dir: "testdata", Chart: "waitdemo"},
			Values: vals, Wait: true, Timeout: timeout,
		}
	}
	apply := func(t *testing.T, r addons.Release, wantRevision int, wantChanged bool) {
		t.Helper()
		st, err := inst.Apply(ctx, c.kubeconfig, r)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != "deployed" || st.Revision != wantRevision || st.Changed != wantChanged || st.ChartVersion != "0.1.0" {
			t.Errorf("Apply = %+v, want deployed revision %d changed %v", st, wantRevision, wantChanged)
		}
	}

	t.Run("wait returns once ready", func(t *testing.T) {
		began := time.Now()
		apply(t, rel(map[string]any{"message": "hello"}, time.Minute), 1, true)
		apply(t, rel(map[string]any{"message": "hello"}, time.Minute), 1, false)
		if d := time.Since(began); d > 30*time.Second {
			t.Errorf("waiting for a ConfigMap took %s", d)
		}
		if msg := c.configMap(t, ns, "waitdemo")["message"]; msg != "hello" {
			t.Errorf("message %q", msg)
		}
	})

	t.Run("a failed release is upgraded", func(t *testing.T) {
		// No kubelet runs the Deployment's Pod: the wait times out.
		_, err := inst.Apply(ctx, c.kubeconfig, rel(map[string]any{"deployment": true}, 3*time.Second))
		checkActivityError(t, err, addons.ErrNotReady, addons.ErrTypeNotReady, true)
		st, err := inst.Status(ctx, c.kubeconfig, "waitdemo", ns)
		if err != nil || st.Status != "failed" || st.Revision != 2 {
			t.Fatalf("Status after the timeout = %+v, %v; want failed revision 2", st, err)
		}
		apply(t, rel(map[string]any{"message": "hello again"}, time.Minute), 3, true)
		_, err = c.kube.AppsV1().Deployments(ns).Get(ctx, "waitdemo", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("Deployment waitdemo after the repair: %v, want NotFound", err)
		}
	})

	helm := helmConfig(t, c, ns)
	t.Run("an abandoned pending upgrade is rolled back", func(t *testing.T) {
		addRevision(t, helm, "waitdemo", release.StatusPendingUpgrade, time.Hour)
		apply(t, rel(map[string]any{"message": "hello again"}, time.Minute), 5, true)
		if msg := c.configMap(t, ns, "waitdemo")["message"]; msg != "hello again" {
			t.Errorf("message %q after the recovery", msg)
		}
	})

	t.Run("a live pending upgrade is left alone", func(t *testing.T) {
		addRevision(t, helm, "waitdemo", release.StatusPendingUpgrade, 0)
		_, err := inst.Apply(ctx, c.kubeconfig, rel(map[string]any{"message": "hello again"}, time.Minute))
		checkActivityError(t, err, addons.ErrReleaseBusy, addons.ErrTypeReleaseBusy, true)
	})

	t.Run("an abandoned pending install is reinstalled", func(t *testing.T) {
		const ns2 = "cw-waitdemo-2"
		if _, err := c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns2}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		leftover := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "half-installed", Namespace: ns2}}
		if _, err := c.kube.CoreV1().ConfigMaps(ns2).Create(ctx, leftover, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		ch, err := loader.Load(filepath.Join("testdata", "waitdemo"))
		if err != nil {
			t.Fatal(err)
		}
		pending := &release.Release{
			Name: "waitdemo", Namespace: ns2, Chart: ch, Config: map[string]any{}, Version: 1,
			Manifest: "---\n# Source: waitdemo/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: half-installed\n  namespace: " + ns2 + "\n",
			Info: &release.Info{
				Status:        release.StatusPendingInstall,
				FirstDeployed: helmtime.Time{Time: time.Now().Add(-time.Hour)},
				LastDeployed:  helmtime.Time{Time: time.Now().Add(-time.Hour)},
			},
		}
		if err := helmConfig(t, c, ns2).Releases.Create(pending); err != nil {
			t.Fatal(err)
		}
		r := rel(map[string]any{"message": "fresh"}, time.Minute)
		r.Namespace = ns2
		apply(t, r, 1, true)
		if !c.configMapGone(t, ns2, "half-installed") {
			t.Error("the interrupted install's object was not removed")
		}
		if msg := c.configMap(t, ns2, "waitdemo")["message"]; msg != "fresh" {
			t.Errorf("message %q", msg)
		}
	})

	t.Run("a failing chart shows no secret", func(t *testing.T) {
		r := rel(map[string]any{"failRender": true, "auth": map[string]any{"adminPassword": waitPassword}}, time.Minute)
		r.Name = "waitsecret"
		_, err := inst.Apply(ctx, c.kubeconfig, r)
		checkActivityError(t, err, addons.ErrInvalidValues, addons.ErrTypeInvalidValues, false)
		if err != nil && !strings.Contains(err.Error(), "cannot use admin password <redacted>") {
			t.Errorf("error %q does not show the chart's masked message", err)
		}
		if _, err := inst.Status(ctx, c.kubeconfig, "waitsecret", ns); !errors.Is(err, addons.ErrReleaseNotFound) {
			t.Errorf("a release that failed validation was recorded: %v", err)
		}
	})

	if strings.Contains(logs.String(), waitPassword) {
		t.Error("the installer log shows the password")
	}
}

// helmConfig is a Helm action configuration of the test's own, to tamper
// with release records the way an interrupted operation leaves them.
func helmConfig(t *testing.T, c *testCluster, namespace string) *action.Configuration {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(path, c.kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &path, &namespace, &cacheDir
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, namespace, "secret", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// addRevision records a new revision of release name, a copy of the newest
// one with other values, in status st since age ago, as an operation that
// died before finishing leaves it.
func addRevision(t *testing.T, cfg *action.Configuration, name string, st release.Status, age time.Duration) {
	t.Helper()
	last, err := cfg.Releases.Last(name)
	if err != nil {
		t.Fatal(err)
	}
	r := *last
	info := *last.Info
	info.Status = st
	info.LastDeployed = helmtime.Time{Time: time.Now().Add(-age)}
	info.Description = "interrupted (test)"
	r.Info = &info
	r.Version = last.Version + 1
	r.Config = map[string]any{"message": "half-done"}
	if err := cfg.Releases.Create(&r); err != nil {
		t.Fatal(err)
	}
}
