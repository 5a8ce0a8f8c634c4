package kubesphere_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterwright/clusterwright/activities/kubesphere"
	"github.com/clusterwright/clusterwright/activities/kubesphere/kubespheretest"
)

var clusterGVR = schema.GroupVersionResource{Group: "cluster.kubesphere.io", Version: "v1alpha1", Resource: "clusters"}

// TestMembers registers a member with a KubeSphere host on two real API
// servers with the ks-core chart installed, and checks: which cluster is a
// host; refusals write nothing; the host's Cluster carries a kubeconfig that
// acts on the member as the dedicated ServiceAccount, not as admin;
// repeating writes nothing; a new token (the ServiceAccount replaced)
// reaches the Cluster and the old one stops working; unregistering (also in two steps, the member gone
// first) leaves both clusters as they were; no token in logs, results or
// errors.
func TestMembers(t *testing.T) {
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	began := time.Now()
	clusters := startClusters(t)
	host, member := clusters["ks-host"], clusters["ks-member"]
	t.Logf("2 control planes started in %s", time.Since(began).Round(time.Millisecond))
	acts := &kubesphere.Activities{Clusters: access{map[string]*testCluster{host.ref.ID: host, member.ref.ID: member}}, Logger: log}
	req := kubesphere.MemberRequest{Host: host.ref, Member: member.ref}
	saName := kubesphere.ServiceAccountName(host.ref.Name)
	var said []string // every result and error, searched for tokens at the end

	began = time.Now()
	installKubeSphere(t, host, "host")
	assertHost(t, acts, member, false) // no KubeSphere yet
	installKubeSphere(t, member, "member")
	assertHost(t, acts, host, true)
	assertHost(t, acts, member, false)
	t.Logf("ks-core installed on both in %s", time.Since(began).Round(time.Millisecond))

	// A Cluster of a name some member will ask for, made by hand; a Node on
	// the member for the host's kubeconfig to list.
	handMade := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.kubesphere.io/v1alpha1", "kind": "Cluster",
		"metadata": map[string]any{"name": "taken"},
		"spec":     map[string]any{"connection": map[string]any{"type": "proxy"}},
	}}
	if _, err := host.dyn.Resource(clusterGVR).Create(t.Context(), handMade, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ks-member-cp-0"}}
	if _, err := member.kube.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := map[string]kubespheretest.Snapshot{host.ref.Name: settled(t, host), member.ref.Name: settled(t, member)}
	assertSame := func(t *testing.T) {
		t.Helper()
		for _, c := range []*testCluster{host, member} {
			for _, d := range snapshot(t, c).Diff(before[c.ref.Name]) {
				t.Errorf("%s: %s", c.ref.Name, d)
			}
		}
	}

	t.Run("refusals write nothing", func(t *testing.T) {
		taken := member.ref
		taken.Name = "taken"
		for _, c := range []struct {
			what    string
			req     kubesphere.MemberRequest
			errType string
		}{
			{"a host that is no KubeSphere host", kubesphere.MemberRequest{Host: member.ref, Member: host.ref}, kubesphere.ErrTypeNotHost},
			{"a Cluster name Clusterwright did not make", kubesphere.MemberRequest{Host: host.ref, Member: taken}, kubesphere.ErrTypeNameTaken},
			{"a member of itself", kubesphere.MemberRequest{Host: host.ref, Member: host.ref}, kubesphere.ErrTypeInvalidInput},
			{"a name that is no DNS label", kubesphere.MemberRequest{Host: host.ref, Member: kubesphere.Cluster{ID: member.ref.ID, Name: "Member_1"}}, kubesphere.ErrTypeInvalidInput},
		} {
			_, err := acts.RegisterMember(t.Context(), c.req)
			assertNonRetryable(t, c.what, err, c.errType)
			said = append(said, fmt.Sprint(err))
		}
		assertSame(t)
	})

	var first []byte // the host's first kubeconfig of the member
	t.Run("register", func(t *testing.T) {
		res, err := acts.RegisterMember(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		said = append(said, fmt.Sprintf("%+v", res))
		want := kubesphere.RegisterResult{Cluster: member.ref.Name, ServiceAccount: "kube-system/" + saName, Changed: true}
		if res != want {
			t.Errorf("result %+v, want %+v", res, want)
		}
		cl := getCluster(t, host, member.ref.Name)
		spec := cl.Object["spec"].(map[string]any)
		conn := spec["connection"].(map[string]any)
		if conn["type"] != "direct" || conn["kubernetesAPIEndpoint"] != member.cp.Endpoint() || spec["enable"] != true {
			t.Errorf("Cluster spec %v, want a direct connection to %s, enabled", redacted(spec), member.cp.Endpoint())
		}
		if l := cl.GetLabels(); l[kubesphere.LabelManagedBy] != "clusterwright" || l[kubesphere.LabelMember] != member.ref.Name {
			t.Errorf("Cluster labels %v", l)
		}
		first = kubeconfigOf(t, cl)
		cfg, err := clientcmd.Load(first)
		if err != nil {
			t.Fatal(err)
		}
		for name, u := range cfg.AuthInfos {
			if len(u.ClientCertificateData) > 0 || len(u.ClientKeyData) > 0 || u.Token == "" {
				t.Errorf("kubeconfig user %s: want a token and no client certificate", name)
			}
		}
		assertActsAsServiceAccount(t, first, "system:serviceaccount:kube-system:"+saName, node.Name)
	})

	t.Run("repeating writes nothing", func(t *testing.T) {
		was := versions(t, host, member)
		res, err := acts.RegisterMember(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed {
			t.Error("repeating RegisterMember says it changed something")
		}
		if now := versions(t, host, member); !equal(was, now) {
			t.Errorf("repeating RegisterMember wrote:\n before %v\n after  %v", was, now)
		}
	})

	var second []byte
	t.Run("a new token reaches the Cluster", func(t *testing.T) {
		// A replaced ServiceAccount (new uid) has a new token; its old token
		// Secret goes with it. (Deleting the Secret alone is no rotation: a
		// legacy token is the same signature of the same claims.)
		err := member.kube.CoreV1().ServiceAccounts("kube-system").Delete(t.Context(), saName, metav1.DeleteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		res, err := acts.RegisterMember(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("registered again with a new token in %s", time.Since(began).Round(time.Millisecond))
		said = append(said, fmt.Sprintf("%+v", res))
		if !res.Changed {
			t.Error("RegisterMember with a new token says nothing changed")
		}
		second = kubeconfigOf(t, getCluster(t, host, member.ref.Name))
		if bytes.Equal(first, second) {
			t.Fatal("the Cluster still has the old kubeconfig")
		}
		assertActsAsServiceAccount(t, second, "system:serviceaccount:kube-system:"+saName, node.Name)
		assertRejected(t, first)
	})

	t.Run("unregister leaves both clusters as they were", func(t *testing.T) {
		for range 2 {
			if err := acts.UnregisterMember(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			assertSame(t)
		}
		assertRejected(t, second)
		if _, err := host.dyn.Resource(clusterGVR).Get(t.Context(), "taken", metav1.GetOptions{}); err != nil {
			t.Errorf("the hand-made Cluster: %v", err)
		}
	})

	t.Run("unregister a member that is gone, then the rest", func(t *testing.T) {
		if _, err := acts.RegisterMember(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		gone := req
		gone.MemberGone = true
		if err := acts.UnregisterMember(t.Context(), gone); err != nil {
			t.Fatal(err)
		}
		if _, err := host.dyn.Resource(clusterGVR).Get(t.Context(), member.ref.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the member's Cluster after UnregisterMember with MemberGone: %v, want not found", err)
		}
		if _, err := member.kube.CoreV1().ServiceAccounts("kube-system").Get(t.Context(), saName, metav1.GetOptions{}); err != nil {
			t.Errorf("UnregisterMember with MemberGone touched the member: %v", err)
		}
		if err := acts.UnregisterMember(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		assertSame(t)
	})

	tokens := [][]byte{}
	for _, kc := range [][]byte{first, second} {
		cfg, err := clientcmd.Load(kc)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range cfg.AuthInfos {
			tokens = append(tokens, []byte(u.Token))
		}
	}
	all := logs.String() + strings.Join(said, "\n")
	for _, tok := range tokens {
		if len(tok) == 0 || strings.Contains(all, string(tok)) || strings.Contains(all, base64.StdEncoding.EncodeToString(tok)) {
			t.Error("a token is empty or shows in the logs, results or errors")
		}
	}
}

// assertHost checks IsKubeSphereHost of a cluster.
func assertHost(t *testing.T, acts *kubesphere.Activities, c *testCluster, want bool) {
	t.Helper()
	got, err := acts.IsKubeSphereHost(t.Context(), c.ref)
	if err != nil {
		t.Fatalf("IsKubeSphereHost(%s): %v", c.ref.Name, err)
	}
	if got != want {
		t.Errorf("IsKubeSphereHost(%s) = %v, want %v", c.ref.Name, got, want)
	}
}

// assertNonRetryable checks that err is a non-retryable application error
// of errType.
func assertNonRetryable(t *testing.T, what string, err error, errType string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errType || !appErr.NonRetryable() {
		t.Errorf("%s: %v, want a non-retryable %s", what, err, errType)
	}
}

// assertActsAsServiceAccount checks that kubeconfig authenticates as
// username (and not in system:masters) and lists the member's Nodes.
func assertActsAsServiceAccount(t *testing.T, kubeconfig []byte, username, node string) {
	t.Helper()
	kube := clientOf(t, kubeconfig)
	review, err := kube.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != username || slices.Contains(u.Groups, "system:masters") {
		t.Errorf("the host's kubeconfig acts as %s in %v, want %s", u.Username, u.Groups, username)
	}
	nodes, err := kube.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes with the host's kubeconfig: %v", err)
	}
	if len(nodes.Items) != 1 || nodes.Items[0].Name != node {
		t.Errorf("the host's kubeconfig lists %d nodes, want %s", len(nodes.Items), node)
	}
}

// assertRejected checks that the member's API server soon rejects
// kubeconfig (its token Secret is gone).
func assertRejected(t *testing.T, kubeconfig []byte) {
	t.Helper()
	kube := clientOf(t, kubeconfig)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := kube.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
		if apierrors.IsUnauthorized(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("an old kubeconfig still works: %v", err)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func clientOf(t *testing.T, kubeconfig []byte) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube
}

// getCluster gets a Cluster on the host.
func getCluster(t *testing.T, host *testCluster, name string) *unstructured.Unstructured {
	t.Helper()
	cl, err := host.dyn.Resource(clusterGVR).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Cluster %s on the host: %v", name, err)
	}
	return cl
}

// kubeconfigOf decodes a Cluster's kubeconfig.
func kubeconfigOf(t *testing.T, cl *unstructured.Unstructured) []byte {
	t.Helper()
	encoded, _, _ := unstructured.NestedString(cl.Object, "spec", "connection", "kubeconfig")
	kc, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(kc) == 0 {
		t.Fatalf("Cluster %s: no kubeconfig", cl.GetName())
	}
	return kc
}

// redacted is a Cluster spec without its kubeconfig, for messages.
func redacted(spec map[string]any) string {
	b, _ := json.Marshal(spec)
	var copy map[string]any
	_ = json.Unmarshal(b, &copy)
	if conn, ok := copy["connection"].(map[string]any); ok {
		delete(conn, "kubeconfig")
	}
	b, _ = json.Marshal(copy)
	return string(b)
}

// snapshot records what registration may touch on a cluster.
func snapshot(t *testing.T, c *testCluster) kubespheretest.Snapshot {
	t.Helper()
	s, err := kubespheretest.Take(t.Context(), c.dyn)
	if err != nil {
		t.Fatalf("snapshot of %s: %v", c.ref.Name, err)
	}
	return s
}

// settled waits until the controllers of a fresh control plane stop
// adding their ServiceAccounts and returns the snapshot then.
func settled(t *testing.T, c *testCluster) kubespheretest.Snapshot {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	last, same := snapshot(t, c), 0
	for same < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%s still changes: %v", c.ref.Name, snapshot(t, c).Diff(last))
		}
		time.Sleep(time.Second)
		now := snapshot(t, c)
		if len(now.Diff(last)) == 0 {
			same++
		} else {
			last, same = now, 0
		}
	}
	return last
}

// versions are the resourceVersions of what registration made on both
// clusters, to show that repeating it writes nothing.
func versions(t *testing.T, host, member *testCluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range []*testCluster{host, member} {
		for _, k := range kubespheretest.Kinds {
			list, err := c.dyn.Resource(k.GVR).Namespace(k.Namespace).List(t.Context(),
				metav1.ListOptions{LabelSelector: kubesphere.LabelManagedBy + "=clusterwright"})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list.Items {
				out[c.ref.Name+" "+k.GVR.Resource+" "+o.GetName()] = o.GetResourceVersion()
			}
		}
	}
	if len(out) != 4 {
		t.Errorf("Clusterwright's objects: %v, want a Cluster, ServiceAccount, ClusterRoleBinding and Secret", out)
	}
	return out
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
