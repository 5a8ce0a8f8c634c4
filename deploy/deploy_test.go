package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/clusterwright/clusterwright/app"
)

const chartDir = "helm/clusterwright"

// configSettings are the server's settings (see app.Config).
func configSettings() []app.Setting {
	var c app.Config
	return c.Settings()
}

// knownEnv is every environment variable the server reads (see app.Config).
func knownEnv() map[string]bool {
	env := map[string]bool{}
	for _, s := range configSettings() {
		env[s.Env] = true
	}
	return env
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// get walks a decoded YAML document: get(m, "services", "postgres", "image").
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string { return fmt.Sprint(v) }

// TestCompose checks compose.yaml: the services and their order of start, the server's
// configuration (only settings it knows, the master key required), healthchecks, and
// that every file it mounts or builds from exists.
func TestCompose(t *testing.T) {
	c := readYAML(t, "compose.yaml")
	services, _ := get(c, "services").(map[string]any)
	for _, name := range []string{"postgres", "temporal-schema", "temporal", "temporal-namespace", "clusterwright", "worker"} {
		if services[name] == nil {
			t.Fatalf("compose.yaml has no service %q", name)
		}
	}
	if img := str(get(services, "postgres", "image")); img != "postgres:15" {
		t.Errorf("postgres image = %q, want postgres:15", img)
	}
	if img := str(get(services, "temporal", "image")); !strings.HasPrefix(img, "temporalio/server:") {
		t.Errorf("temporal image = %q, want temporalio/server", img)
	}

	known := knownEnv()
	for name, command := range map[string]string{"clusterwright": "serve", "worker": "worker"} {
		svc := services[name]
		if got := get(svc, "command"); !slices.Equal(toStrings(got), []string{command}) {
			t.Errorf("%s: command = %v, want [%s]", name, got, command)
		}
		env, _ := get(svc, "environment").(map[string]any)
		for _, need := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "CLUSTERWRIGHT_SECRET_KEY"} {
			if env[need] == nil {
				t.Errorf("%s: environment lacks %s", name, need)
			}
		}
		for k := range env {
			if !known[k] {
				t.Errorf("%s: environment sets %s, which clusterwright does not read", name, k)
			}
		}
		if v := str(env["CLUSTERWRIGHT_SECRET_KEY"]); !strings.HasPrefix(v, "${CLUSTERWRIGHT_SECRET_KEY:?") {
			t.Errorf("%s: CLUSTERWRIGHT_SECRET_KEY = %q, want it required from the environment (${VAR:?message})", name, v)
		}
		if df := str(get(svc, "build", "dockerfile")); df != "deploy/Dockerfile" {
			t.Errorf("%s: build.dockerfile = %q", name, df)
		}
		if _, err := os.Stat(filepath.Join(str(get(svc, "build", "context")), "go.mod")); err != nil {
			t.Errorf("%s: build context is not the repository root: %v", name, err)
		}
	}
	cw := services["clusterwright"]
	if v := str(get(cw, "environment", "CLUSTERWRIGHT_LISTEN")); v != "0.0.0.0:8080" {
		t.Errorf("clusterwright: CLUSTERWRIGHT_LISTEN = %q, want 0.0.0.0:8080", v)
	}
	if hc := strings.Join(toStrings(get(cw, "healthcheck", "test")), " "); !strings.Contains(hc, "/readyz") {
		t.Errorf("clusterwright: healthcheck %q does not use /readyz", hc)
	}
	if ports := toStrings(get(cw, "ports")); len(ports) != 1 || !strings.HasSuffix(ports[0], ":8080") {
		t.Errorf("clusterwright: ports = %v, want the container's 8080 published", ports)
	}

	for name, svc := range services {
		deps, _ := get(svc, "depends_on").(map[string]any)
		for dep, cond := range deps {
			if services[dep] == nil {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
			if c := str(get(cond, "condition")); c == "service_healthy" && get(services[dep], "healthcheck") == nil {
				t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
		for _, vol := range toStrings(get(svc, "volumes")) {
			if src, _, ok := strings.Cut(vol, ":"); ok && strings.HasPrefix(src, "./") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			}
		}
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = str(x)
	}
	return out
}

// TestDockerfile checks the image: a static Go build of the real command, a non-root
// runtime user, the entrypoint and default command, and the listen address.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var stages []string // instructions of each stage
	var names []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, "")
			if _, as, ok := strings.Cut(line, " AS "); ok {
				names = append(names, strings.TrimSpace(as))
			}
		}
		if len(stages) > 0 {
			stages[len(stages)-1] += line + "\n"
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build and a runtime stage", len(stages))
	}
	build, runtime := stages[0], stages[len(stages)-1]
	for _, want := range []string{"FROM golang:", "CGO_ENABLED=0", "./cmd/clusterwright"} {
		if !strings.Contains(build, want) {
			t.Errorf("build stage lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^ARG GO_VERSION=1\.26\b`).MatchString(text) {
		t.Error("Dockerfile does not build with Go 1.26 (ARG GO_VERSION=1.26)")
	}
	for _, want := range []string{
		`ENTRYPOINT ["/clusterwright"]`, `CMD ["serve"]`, "EXPOSE 8080", "CLUSTERWRIGHT_LISTEN=0.0.0.0:8080",
	} {
		if !strings.Contains(runtime, want) {
			t.Errorf("runtime stage lacks %s", want)
		}
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindAllStringSubmatch(runtime, -1)
	if len(user) == 0 {
		t.Error("runtime stage runs as root: no USER")
	} else if u := user[len(user)-1][1]; u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
		t.Errorf("runtime stage runs as %s", u)
	} else if vals := readYAML(t, filepath.Join(chartDir, "values.yaml")); !strings.HasPrefix(u, str(get(vals, "podSecurityContext", "runAsUser"))+":") {
		t.Errorf("image user %s differs from the chart's runAsUser %v", u, get(vals, "podSecurityContext", "runAsUser"))
	}
	for _, m := range regexp.MustCompile(`COPY --from=(\S+)`).FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			t.Errorf("COPY --from=%s names no stage (stages: %v)", m[1], names)
		}
	}
	if _, err := os.Stat("../cmd/clusterwright/main.go"); err != nil {
		t.Errorf("the image builds ./cmd/clusterwright: %v", err)
	}
	main, _ := os.ReadFile("../cmd/clusterwright/main.go")
	for _, cmd := range []string{"serve", "worker"} {
		if !bytes.Contains(main, []byte(`{"`+cmd+`",`)) {
			t.Errorf("cmd/clusterwright has no %q command, which the deploy files run", cmd)
		}
	}
}

// TestChartMetadata checks Chart.yaml and that values.yaml parses with the secrets unset.
func TestChartMetadata(t *testing.T) {
	chart := readYAML(t, filepath.Join(chartDir, "Chart.yaml"))
	if chart["apiVersion"] != "v2" || chart["name"] != "clusterwright" || chart["type"] != "application" {
		t.Errorf("Chart.yaml: apiVersion %v, name %v, type %v; want v2, clusterwright, application", chart["apiVersion"], chart["name"], chart["type"])
	}
	semver := regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	if v := str(chart["version"]); !semver.MatchString(v) {
		t.Errorf("Chart.yaml version %q is not SemVer", v)
	}
	if _, ok := chart["appVersion"].(string); !ok {
		t.Errorf("Chart.yaml appVersion %v is not a string", chart["appVersion"])
	}
	values := readYAML(t, filepath.Join(chartDir, "values.yaml"))
	for _, k := range []string{"masterKey", "database"} {
		if get(values, k, "existingSecret") != "" || get(values, k, "key") == "" {
			t.Errorf("values.yaml %s: want existingSecret empty (the user names it) and a key", k)
		}
	}
}

// TestChartRenders renders the chart and decodes every manifest strictly into its
// Kubernetes type, so that a misspelt field fails; then checks what the server needs.
func TestChartRenders(t *testing.T) {
	if _, err := renderChart(nil); err == nil || !strings.Contains(err.Error(), "existingSecret is required") {
		t.Errorf("rendering without the secrets: err = %v, want existingSecret is required", err)
	}

	secrets := map[string]any{
		"masterKey": map[string]any{"existingSecret": "cw-key"},
		"database":  map[string]any{"existingSecret": "cw-db", "key": "uri"},
		"worker":    map[string]any{"enabled": true, "replicas": 3},
	}
	out, err := renderChart(secrets)
	if err != nil {
		t.Fatal(err)
	}
	var serve, worker appsv1.Deployment
	var svc corev1.Service
	strict(t, out, "deployment.yaml", &serve)
	strict(t, out, "worker-deployment.yaml", &worker)
	strict(t, out, "service.yaml", &svc)

	known := knownEnv()
	for _, d := range []*appsv1.Deployment{&serve, &worker} {
		pod := d.Spec.Template
		if !subset(d.Spec.Selector.MatchLabels, pod.Labels) {
			t.Errorf("%s: selector %v does not match its pods %v", d.Name, d.Spec.Selector.MatchLabels, pod.Labels)
		}
		if sc := pod.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pods may run as root", d.Name)
		}
		c := pod.Spec.Containers[0]
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
			if !known[e.Name] && e.Name != "HOME" {
				t.Errorf("%s: env %s is not a clusterwright setting", d.Name, e.Name)
			}
		}
		checkSecretRef(t, d.Name, env["DATABASE_URL"], "cw-db", "uri")
		checkSecretRef(t, d.Name, env["CLUSTERWRIGHT_SECRET_KEY"], "cw-key", "secret-key")
		if env["TEMPORAL_ADDRESS"].Value == "" {
			t.Errorf("%s: no TEMPORAL_ADDRESS", d.Name)
		}
	}

	c := serve.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("serve args = %v", c.Args)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Errorf("serve ports = %+v, want http 8080", c.Ports)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		want := map[string]string{"readiness": "/readyz", "liveness": "/healthz", "startup": "/healthz"}[name]
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "http" {
			t.Errorf("serve %s probe = %+v, want GET %s on port http", name, p, want)
		}
	}
	if env := envValue(c.Env, "CLUSTERWRIGHT_LISTEN"); env != "0.0.0.0:8080" {
		t.Errorf("serve CLUSTERWRIGHT_LISTEN = %q", env)
	}
	if w := worker.Spec.Template.Spec.Containers[0]; !slices.Equal(w.Args, []string{"worker"}) || *worker.Spec.Replicas != 3 {
		t.Errorf("worker args %v replicas %d, want [worker] and 3", w.Args, *worker.Spec.Replicas)
	}
	if !subset(svc.Spec.Selector, serve.Spec.Template.Labels) || subset(svc.Spec.Selector, worker.Spec.Template.Labels) {
		t.Errorf("service selector %v must select the serve pods only", svc.Spec.Selector)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("service ports = %+v, want one to the http port", svc.Spec.Ports)
	}

	noWorker, err := renderChart(map[string]any{"masterKey": secrets["masterKey"], "database": secrets["database"]})
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(noWorker["worker-deployment.yaml"]); s != "" {
		t.Errorf("worker disabled, yet rendered:\n%s", s)
	}
}

func strict(t *testing.T, out map[string]string, file string, into any) {
	t.Helper()
	if err := sigsyaml.UnmarshalStrict([]byte(out[file]), into); err != nil {
		t.Fatalf("%s does not decode strictly: %v\n%s", file, err, out[file])
	}
}

func checkSecretRef(t *testing.T, who string, e corev1.EnvVar, name, key string) {
	t.Helper()
	if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != name || e.ValueFrom.SecretKeyRef.Key != key || e.Value != "" {
		t.Errorf("%s: %s = %+v, want it from Secret %s key %s", who, e.Name, e, name, key)
	}
}

func envValue(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// renderChart renders the chart with the real Helm SDK, values.yaml merged with overrides,
// exactly as `helm template cw deploy/helm/clusterwright` would. The result maps each
// template's file name to its manifest.
func renderChart(overrides map[string]any) (map[string]string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	vals, err := chartutil.ToRenderValues(ch, overrides, chartutil.ReleaseOptions{Name: "cw", Namespace: "default", IsInstall: true}, nil)
	if err != nil {
		return nil, err
	}
	rendered, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for path, manifest := range rendered {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "_") || strings.TrimSpace(manifest) == "" {
			continue
		}
		out[name] = manifest
	}
	return out, nil
}

// TestChartTLS renders the chart with every TLS option: HTTPS from a TLS Secret (probes
// over HTTPS), Temporal mTLS and an API key, and the Postgres CA for verify-full; each
// setting points at a file of a mounted Secret.
func TestChartTLS(t *testing.T) {
	out, err := renderChart(map[string]any{
		"masterKey":           map[string]any{"existingSecret": "cw-key"},
		"database":            map[string]any{"existingSecret": "cw-db", "caSecret": "pg-ca"},
		"tls":                 map[string]any{"existingSecret": "cw-tls"},
		"temporal":            map[string]any{"tls": map[string]any{"existingSecret": "temporal-client", "serverName": "temporal.example"}, "apiKey": map[string]any{"existingSecret": "temporal-key"}},
		"vcenterAllowedHosts": "*.corp.example,10.20.0.0/16",
		"worker":              map[string]any{"enabled": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	var serve, worker appsv1.Deployment
	strict(t, out, "deployment.yaml", &serve)
	strict(t, out, "worker-deployment.yaml", &worker)
	known := knownEnv()
	for _, d := range []*appsv1.Deployment{&serve, &worker} {
		pod := d.Spec.Template.Spec
		c := pod.Containers[0]
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			mounts[m.Name] = m.MountPath
		}
		secrets := map[string]string{}
		for _, v := range pod.Volumes {
			if v.Secret != nil {
				secrets[v.Name] = v.Secret.SecretName
			}
		}
		for volume, secret := range map[string]string{"tls": "cw-tls", "temporal-tls": "temporal-client", "temporal-api-key": "temporal-key", "postgres-ca": "pg-ca"} {
			if secrets[volume] != secret || mounts[volume] == "" {
				t.Errorf("%s: volume %s from Secret %q mounted at %q, want Secret %s mounted", d.Name, volume, secrets[volume], mounts[volume], secret)
			}
		}
		for _, e := range c.Env {
			if !known[e.Name] && e.Name != "HOME" {
				t.Errorf("%s: env %s is not a clusterwright setting", d.Name, e.Name)
			}
		}
		for env, want := range map[string]string{
			"CLUSTERWRIGHT_TEMPORAL_TLS_CA_FILE":     mounts["temporal-tls"] + "/ca.crt",
			"CLUSTERWRIGHT_TEMPORAL_TLS_CERT_FILE":   mounts["temporal-tls"] + "/tls.crt",
			"CLUSTERWRIGHT_TEMPORAL_TLS_KEY_FILE":    mounts["temporal-tls"] + "/tls.key",
			"CLUSTERWRIGHT_TEMPORAL_TLS_SERVER_NAME": "temporal.example",
			"CLUSTERWRIGHT_TEMPORAL_API_KEY_FILE":    mounts["temporal-api-key"] + "/api-key",
		} {
			if got := envValue(c.Env, env); got != want {
				t.Errorf("%s: %s = %q, want %q", d.Name, env, got, want)
			}
		}
	}
	c := serve.Spec.Template.Spec.Containers[0]
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	for env, want := range map[string]string{
		"CLUSTERWRIGHT_TLS_CERT_FILE":         mounts["tls"] + "/tls.crt",
		"CLUSTERWRIGHT_TLS_KEY_FILE":          mounts["tls"] + "/tls.key",
		"CLUSTERWRIGHT_VCENTER_ALLOWED_HOSTS": "*.corp.example,10.20.0.0/16",
		"CLUSTERWRIGHT_API_RATE_LIMIT":        "60/m",
	} {
		if got := envValue(c.Env, env); got != want {
			t.Errorf("serve: %s = %q, want %q", env, got, want)
		}
	}
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("serve probe %+v, want HTTPS", p)
		}
	}
	if v := envValue(worker.Spec.Template.Spec.Containers[0].Env, "CLUSTERWRIGHT_TLS_CERT_FILE"); v != "" {
		t.Errorf("the worker, which serves nothing, got CLUSTERWRIGHT_TLS_CERT_FILE %q", v)
	}
}
