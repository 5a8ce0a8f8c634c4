package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/activities/addons"
	"github.com/clusterwright/clusterwright/app/apptest"
	"github.com/clusterwright/clusterwright/bootstrap"
	"github.com/clusterwright/clusterwright/domain"
)

// A canary is a secret the service holds, looked for where it must never be. what
// names it in failures: the value itself is never printed.
type canary struct {
	what, value string
	// reply is, for a personal kubeconfig's key, the index (in Env.Replies) of the
	// reply that issued it: the one place it belongs.
	reply int
}

// Kinds of canary that belong in some places of a workload cluster.
const (
	canaryClusterAccount = "the vCenter cluster account's password"
	canaryKubeSphere     = "the KubeSphere admin password"
)

// collectCanaries gathers every secret the service holds for the cluster: both vCenter
// passwords, the master key, the API tokens given, the cluster's CA and service-account
// keys, bootstrap token, SSH key, KubeSphere password and the service's own kubeconfig,
// and the key of every personal kubeconfig the API issued so far.
func collectCanaries(t *testing.T, env *apptest.Env, clusterID string, tokens ...string) []canary {
	t.Helper()
	ctx := context.Background()
	secret := func(name string) string {
		v, err := env.App.Store.ClusterSecret(ctx, clusterID, name)
		if err != nil {
			t.Fatalf("cluster secret %s: %v", name, err)
		}
		return string(v)
	}
	out := []canary{
		{what: "the vCenter service account's password", value: env.VCenter.Password, reply: -1},
		{what: canaryClusterAccount, value: env.VCenter.ClusterPassword, reply: -1},
		{what: "the master key", value: env.App.Config.SecretKey, reply: -1},
		{what: canaryKubeSphere, value: secret(bootstrap.SecretKubeSphereAdminPassword), reply: -1},
	}
	tok := secret(bootstrap.SecretBootstrapToken)
	out = append(out, canary{what: "the bootstrap token", value: tok, reply: -1},
		canary{what: "the bootstrap token's secret", value: tok[strings.IndexByte(tok, '.')+1:], reply: -1})
	for i, tok := range tokens {
		out = append(out, canary{what: fmt.Sprintf("API token %d", i), value: tok, reply: -1})
	}
	for _, name := range []string{bootstrap.SecretSSHPrivateKey, bootstrap.SecretAdminKubeconfig} {
		for _, line := range keyLines(secret(name)) {
			out = append(out, canary{what: "a line of " + name, value: line, reply: -1})
		}
	}
	var files map[string][]byte
	if err := json.Unmarshal([]byte(secret(bootstrap.SecretPKI)), &files); err != nil {
		t.Fatal(err)
	}
	for path, pem := range files {
		if strings.Contains(string(pem), "PRIVATE KEY") {
			for _, line := range keyLines(string(pem)) {
				out = append(out, canary{what: "a line of the cluster's private key " + path, value: line, reply: -1})
			}
		}
	}
	issued := 0
	for i, r := range env.Replies() {
		if r.Status != http.StatusOK || !strings.HasSuffix(r.Path, "/kubeconfig") && !strings.Contains(r.Path, "/kubeconfig?") {
			continue
		}
		for _, line := range keyLines(string(r.Body)) {
			out = append(out, canary{what: fmt.Sprintf("the key of personal kubeconfig %d", issued), value: line, reply: i})
		}
		issued++
	}
	if issued == 0 {
		t.Fatal("no personal kubeconfig was issued before the leak check")
	}
	for _, c := range out {
		if len(c.value) < 16 {
			t.Fatalf("canary %q is too short (%d bytes) to look for", c.what, len(c.value))
		}
	}
	return out
}

// keyLines returns the base64 body lines of the private keys in a PEM text, and the
// client-key-data of a kubeconfig.
func keyLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "client-key-data:"); ok {
			out = append(out, strings.TrimSpace(v))
		}
		if len(line) >= 40 && !strings.Contains(line, " ") && !strings.Contains(line, ":") {
			out = append(out, line)
		}
	}
	return out
}

// lookFor reports every canary found in text, except those allowed there.
func lookFor(t *testing.T, place string, text []byte, canaries []canary, allowed func(canary) bool) {
	t.Helper()
	for _, c := range canaries {
		if bytes.Contains(text, []byte(c.value)) && (allowed == nil || !allowed(c)) {
			t.Errorf("%s holds %s", place, c.what)
		}
	}
}

// checkWorkloadSecrets reads every Secret of the workload cluster (Helm's release
// Secrets decoded) and finds in none a secret of the service, except the cluster
// account's password in the CPI and CSI Secrets (and their Helm releases) and the
// KubeSphere admin password in KubeSphere's namespace. No bootstrap token is left.
func checkWorkloadSecrets(t *testing.T, cs kubernetes.Interface, canaries []canary) {
	t.Helper()
	list, err := cs.CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list the cluster's Secrets: %v", err)
	}
	if len(list.Items) == 0 {
		t.Fatal("the cluster has no Secret at all: the check would prove nothing")
	}
	for _, s := range list.Items {
		if s.Type == "bootstrap.kubernetes.io/token" {
			t.Errorf("bootstrap token Secret %s/%s outlived the provision", s.Namespace, s.Name)
		}
		var text bytes.Buffer
		for k, v := range s.Data {
			text.WriteString(k + "=" + string(v) + "\n")
		}
		release := s.Labels["owner"] == "helm" && s.Type == "helm.sh/release.v1"
		if release {
			text.Write(helmRelease(t, s.Namespace+"/"+s.Name, s.Data["release"]))
		}
		vsphere := release && (s.Labels["name"] == addons.AddonCPI || s.Labels["name"] == addons.AddonCSI)
		for _, ref := range vsphereSecrets {
			vsphere = vsphere || (s.Namespace == ref[0] && s.Name == ref[1])
		}
		lookFor(t, "workload Secret "+s.Namespace+"/"+s.Name, text.Bytes(), canaries, func(c canary) bool {
			return c.what == canaryClusterAccount && vsphere ||
				c.what == canaryKubeSphere && s.Namespace == "kubesphere-system"
		})
	}
}

// helmRelease decodes a Helm release Secret's release (base64 of gzipped JSON).
func helmRelease(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		t.Fatalf("Helm release %s: %v", name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("Helm release %s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("Helm release %s: %v", name, err)
	}
	return out
}

// checkNothingLeaked reads every listing of the API once more, then finds no canary in
// the service's logs, in any API reply but the one that issued a personal kubeconfig
// (its own key), in any row of any inventory table (the audit log's included), or in
// any workflow's history (raw and decoded), memo or search attributes.
func checkNothingLeaked(t *testing.T, env *apptest.Env, canaries []canary) {
	t.Helper()
	for _, path := range []string{"/api/v1/vcenters", "/api/v1/vcenters/vc1", "/api/v1/vcenters/vc1/inventory", "/api/v1/clusters",
		"/api/v1/operations?limit=200", "/api/v1/audit?limit=500", "/api/v1/ippools", "/api/v1/tokens", "/api/v1/whoami"} {
		if r := env.Do("GET", path, env.AdminToken, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s = %d", path, r.Status)
		}
	}
	lookFor(t, "the service's logs", env.Logs.Bytes(), canaries, nil)
	for i, r := range env.Replies() {
		lookFor(t, fmt.Sprintf("the reply to %s %s", r.Method, r.Path), r.Body, canaries, func(c canary) bool { return c.reply == i })
	}
	checkInventory(t, env, canaries)
	workflows := env.Workflows()
	if len(workflows) < 3 {
		t.Fatalf("%d workflows in the namespace: the check would prove little", len(workflows))
	}
	for _, info := range workflows {
		id := info.GetExecution().GetWorkflowId()
		info, err := proto.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		lookFor(t, "the memo or search attributes of workflow "+id, info, canaries, nil)
		op := domain.Operation{ID: id, WorkflowID: id}
		for what, h := range map[string]proto.Message{"raw": env.RawHistory(op), "decoded": env.History(op)} {
			b, err := proto.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			lookFor(t, "the "+what+" history of workflow "+id, b, canaries, nil)
		}
	}
}

// checkInventory reads every row of every table of the inventory as JSON (sealed
// columns as their ciphertext) and finds no canary in any.
func checkInventory(t *testing.T, env *apptest.Env, canaries []canary) {
	t.Helper()
	ctx := context.Background()
	rows, err := env.App.Store.Pool().Query(ctx,
		`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var audited int
	for _, table := range tables {
		rows, err := env.App.Store.Pool().Query(ctx, `SELECT row_to_json(t)::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
		if table == "audit_events" {
			audited = len(texts)
		}
		lookFor(t, "inventory table "+table, []byte(strings.Join(texts, "\n")), canaries, nil)
	}
	if audited == 0 {
		t.Fatal("no audit row to look in: the check would prove little")
	}
}
