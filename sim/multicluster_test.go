package sim

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/cli"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim/antreamc"
	"github.com/clusterwright/clusterwright/sim/charts"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The multicluster kinds the test reads, and the namespaces of the
// controllers as the release YAMLs deploy them.
var (
	mcClusterSets  = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha2", Resource: "clustersets"}
	mcAnnounces    = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "memberclusterannounces"}
	mcGateways     = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "gateways"}
	mcExports      = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "resourceexports"}
	mcImports      = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "resourceimports"}
	mcInfoImports  = schema.GroupVersionResource{Group: "multicluster.crd.antrea.io", Version: "v1alpha1", Resource: "clusterinfoimports"}
	leaderNS       = "antrea-multicluster"
	memberNS       = "kube-system"
	clusterSetName = "clusterset-test"
)

// mcCluster is a booted cluster of the multicluster test.
type mcCluster struct {
	name, ip   string
	kube       kubernetes.Interface
	dyn        dynamic.Interface
	kubeconfig string
}

// TestMulticluster boots a leader and two member clusters side by side,
// deploys the multi-cluster controllers with the Antrea chart and wires the
// ClusterSet the way the ClusterSet workflow will: wrong wiring never
// reaches the leader and says why, right wiring makes both members ready
// with their Gateways exported and imported, and a member going away is
// reported Disconnected.
func TestMulticluster(t *testing.T) {
	if _, err := kubeproc.Binaries(dcVersion); err != nil {
		t.Fatal(err)
	}
	dc, err := StartDatacenter(t.Context(), DatacenterOptions{
		VCenter:      VCenterOptions{VMs: -1},
		StateDir:     t.TempDir(),
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		Multicluster: antreamc.Options{Heartbeat: time.Second, ConnectionTimeout: 4 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	vc, err := login(t, dc.VCenter(), dc.VCenter().Username, dc.VCenter().Password)
	if err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	clusters := map[string]*mcCluster{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, ip := range map[string]string{"mc-lead": "127.20.31.10", "mc-east": "127.20.32.10", "mc-west": "127.20.33.10"} {
		c, err := nodetest.NewCluster(name, dcVersion, ip)
		if err != nil {
			t.Fatal(err)
		}
		powerOn(t, cloneNodeVM(t, vc, c, name+"-cp-0", c.InitNode(name+"-cp-0", ip)))
		wg.Go(func() {
			cl, err := bootMulticlusterCluster(t, c, ip)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			clusters[name] = cl
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("3 clusters booted with Antrea and the multi-cluster controllers Available in %s; control-plane RSS: %s; %s; %s",
		time.Since(began).Round(time.Millisecond),
		rssReport(t, dc, "mc-lead-cp-0"), rssReport(t, dc, "mc-east-cp-0"), rssReport(t, dc, "mc-west-cp-0"))
	lead, east, west := clusters["mc-lead"], clusters["mc-east"], clusters["mc-west"]

	createClusterSet(t, lead, leaderNS, map[string]any{"clusterID": "mc-lead", "leaders": []any{map[string]any{"clusterID": "mc-lead"}}})
	server := "https://" + lead.ip + ":6443"
	memberSpec := func(id string) map[string]any {
		return map[string]any{
			"clusterID": id, "namespace": leaderNS,
			"leaders": []any{map[string]any{"clusterID": "mc-lead", "server": server, "secret": "leader-token"}},
		}
	}

	t.Run("member with a valid token joins", func(t *testing.T) {
		began := time.Now()
		token := memberToken(t, lead, "mc-east", true)
		copyToken(t, east, token)
		annotateGateway(t, east, "mc-east-cp-0")
		createClusterSet(t, east, memberNS, memberSpec("mc-east"))
		waitFor(t, time.Minute, "MemberClusterAnnounce of mc-east on the leader", func(ctx context.Context) (bool, error) {
			_, err := lead.dyn.Resource(mcAnnounces).Namespace(leaderNS).Get(ctx, "member-announce-from-mc-east", metav1.GetOptions{})
			return err == nil, err
		})
		waitFor(t, 30*time.Second, "member ClusterSet Ready", func(ctx context.Context) (bool, error) {
			return clusterSetReady(ctx, east, memberNS, 1)
		})
		t.Logf("member Ready %s after its ClusterSet was created", time.Since(began).Round(time.Millisecond))
		cs := getClusterSet(t, east, memberNS)
		if c := clusterCondition(cs, "mc-lead", "IsLeader"); c["status"] != "True" {
			t.Errorf("member's IsLeader condition for mc-lead: %v", c)
		}
	})

	t.Run("bad token never reaches the leader", func(t *testing.T) {
		copyTokenData(t, west, []byte("not-a-token"), tokenCA(t, lead))
		createClusterSet(t, west, memberNS, memberSpec("mc-west"))
		waitFor(t, 30*time.Second, "member ClusterSet says Unauthorized", func(ctx context.Context) (bool, error) {
			return readyMessageContains(ctx, west, "Unauthorized")
		})
		assertNoAnnounce(t, lead, "mc-west")
	})

	t.Run("token without RoleBinding is forbidden", func(t *testing.T) {
		copyToken(t, west, memberToken(t, lead, "mc-west", false))
		waitFor(t, 30*time.Second, "member ClusterSet says forbidden", func(ctx context.Context) (bool, error) {
			return readyMessageContains(ctx, west, "forbidden")
		})
		assertNoAnnounce(t, lead, "mc-west")
	})

	t.Run("dash-prefix ClusterID is denied by the leader's webhook", func(t *testing.T) {
		copyToken(t, west, memberToken(t, lead, "mc-east-1", true))
		deleteClusterSet(t, west)
		createClusterSet(t, west, memberNS, memberSpec("mc-east-1"))
		waitFor(t, 30*time.Second, "member ClusterSet names the dash-prefix conflict", func(ctx context.Context) (bool, error) {
			return readyMessageContains(ctx, west, "dash-prefix")
		})
		assertNoAnnounce(t, lead, "mc-east-1")
	})

	t.Run("second member joins: readyClusters 2, ClusterInfo exchanged", func(t *testing.T) {
		began := time.Now()
		copyToken(t, west, memberToken(t, lead, "mc-west", true))
		annotateGateway(t, west, "mc-west-cp-0")
		deleteClusterSet(t, west)
		createClusterSet(t, west, memberNS, memberSpec("mc-west"))
		waitFor(t, time.Minute, "leader ClusterSet with 2 ready members", func(ctx context.Context) (bool, error) {
			return clusterSetReady(ctx, lead, leaderNS, 2)
		})
		t.Logf("leader readyClusters 2 %s after the second member's ClusterSet was created", time.Since(began).Round(time.Millisecond))
		for _, c := range []struct {
			cl         *mcCluster
			self, peer string
		}{{east, "mc-east", "mc-west"}, {west, "mc-west", "mc-east"}} {
			waitFor(t, 30*time.Second, c.self+" imports "+c.peer+"'s ClusterInfo", func(ctx context.Context) (bool, error) {
				cii, err := c.cl.dyn.Resource(mcInfoImports).Namespace(memberNS).Get(ctx, c.peer+"-clusterinfo", metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				infos, _, _ := unstructured.NestedSlice(cii.Object, "spec", "gatewayInfos")
				want := map[string]string{"mc-east": east.ip, "mc-west": west.ip}[c.peer]
				got := ""
				if len(infos) == 1 {
					got, _ = infos[0].(map[string]any)["gatewayIP"].(string)
				}
				return got == want, fmt.Errorf("gatewayInfos %v, want gatewayIP %s", infos, want)
			})
			gw, err := c.cl.dyn.Resource(mcGateways).Namespace(memberNS).Get(t.Context(), c.self+"-cp-0", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("Gateway of %s: %v", c.self, err)
			}
			if gw.Object["gatewayIP"] != c.cl.ip || gw.Object["internalIP"] != c.cl.ip {
				t.Errorf("Gateway of %s: gatewayIP %v internalIP %v, want %s", c.self, gw.Object["gatewayIP"], gw.Object["internalIP"], c.cl.ip)
			}
			if _, err := c.cl.dyn.Resource(mcInfoImports).Namespace(memberNS).Get(t.Context(), c.self+"-clusterinfo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("%s imports its own ClusterInfo: %v", c.self, err)
			}
			for _, gvr := range []schema.GroupVersionResource{mcExports, mcImports} {
				if _, err := lead.dyn.Resource(gvr).Namespace(leaderNS).Get(t.Context(), c.self+"-clusterinfo", metav1.GetOptions{}); err != nil {
					t.Errorf("leader %s %s-clusterinfo: %v", gvr.Resource, c.self, err)
				}
			}
		}
		cs := getClusterSet(t, lead, leaderNS)
		if n, _, _ := unstructured.NestedInt64(cs.Object, "status", "totalClusters"); n != 2 {
			t.Errorf("leader totalClusters %d, want 2", n)
		}
		for _, id := range []string{"mc-east", "mc-west"} {
			if c := clusterCondition(cs, id, "ClusterConnected"); c["status"] != "True" || c["reason"] != "Connected" {
				t.Errorf("leader's ClusterConnected condition of %s: %v", id, c)
			}
		}
		assertNoAnnounce(t, lead, "mc-east-1")
	})

	t.Run("member going away becomes Disconnected", func(t *testing.T) {
		began := time.Now()
		// As `kubectl delete -f antrea-multicluster-member.yml` would.
		if err := west.kube.AppsV1().Deployments(memberNS).Delete(t.Context(), "antrea-mc-controller", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "mc-west Disconnected on the leader", func(ctx context.Context) (bool, error) {
			cs, err := lead.dyn.Resource(mcClusterSets).Namespace(leaderNS).Get(ctx, clusterSetName, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			c := clusterCondition(cs, "mc-west", "ClusterConnected")
			return c["status"] == "False" && c["reason"] == "Disconnected", fmt.Errorf("condition %v", c)
		})
		t.Logf("leader reports mc-west Disconnected %s after its controller went away (timeout 4 s)", time.Since(began).Round(time.Millisecond))
		cs := getClusterSet(t, lead, leaderNS)
		ready, _, _ := unstructured.NestedInt64(cs.Object, "status", "readyClusters")
		total, _, _ := unstructured.NestedInt64(cs.Object, "status", "totalClusters")
		if ready != 1 || total != 2 {
			t.Errorf("leader readyClusters %d totalClusters %d, want 1 and 2", ready, total)
		}
		if c := clusterCondition(cs, "mc-east", "Ready"); c["status"] != "True" {
			t.Errorf("mc-east on the leader: %v", c)
		}
	})

	t.Run("member leaves when its ClusterSet is deleted", func(t *testing.T) {
		testMemberLeaves(t, lead, east)
	})
}

// testMemberLeaves deletes a member's ClusterSet: the member withdraws its
// MemberClusterAnnounce, the leader removes its exports and imports, and the
// member removes its Gateway and ClusterInfoImports.
func testMemberLeaves(t *testing.T, lead, member *mcCluster) {
	began := time.Now()
	deleteClusterSet(t, member)
	waitFor(t, 30*time.Second, member.name+" gone from the leader", func(ctx context.Context) (bool, error) {
		for _, c := range []struct {
			gvr  schema.GroupVersionResource
			name string
		}{{mcAnnounces, "member-announce-from-" + member.name}, {mcExports, member.name + "-clusterinfo"}, {mcImports, member.name + "-clusterinfo"}} {
			if _, err := lead.dyn.Resource(c.gvr).Namespace(leaderNS).Get(ctx, c.name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false, fmt.Errorf("%s %s: %v", c.gvr.Resource, c.name, err)
			}
		}
		return true, nil
	})
	waitFor(t, 10*time.Second, member.name+" without Gateway and ClusterInfoImports", func(ctx context.Context) (bool, error) {
		for _, gvr := range []schema.GroupVersionResource{mcGateways, mcInfoImports} {
			list, err := member.dyn.Resource(gvr).Namespace(memberNS).List(ctx, metav1.ListOptions{})
			if err != nil || len(list.Items) > 0 {
				return false, fmt.Errorf("%s: %d left, %v", gvr.Resource, len(list.Items), err)
			}
		}
		return true, nil
	})
	waitFor(t, 10*time.Second, "leader counts one member less", func(ctx context.Context) (bool, error) {
		cs, err := lead.dyn.Resource(mcClusterSets).Namespace(leaderNS).Get(ctx, clusterSetName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		total, _, _ := unstructured.NestedInt64(cs.Object, "status", "totalClusters")
		return total == 1 && clusterCondition(cs, member.name, "Ready") == nil, fmt.Errorf("totalClusters %d", total)
	})
	t.Logf("%s left the ClusterSet in %s", member.name, time.Since(began).Round(time.Millisecond))
}

// bootMulticlusterCluster waits for a one-node cluster, lets the simulated
// CPI initialise its Node and installs the Antrea chart with the leader
// (mc-lead) or member controller, waiting until the controller is Available.
func bootMulticlusterCluster(t *testing.T, c *nodetest.Cluster, ip string) (*mcCluster, error) {
	ctx := t.Context()
	cfg, err := c.AdminConfig(c.Endpoint)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if err := nodetest.WaitReady(ctx, kube, 2*time.Minute, dcVersion, c.Name+"-cp-0"); err != nil {
		return nil, err
	}
	kubeconfig, err := pki.AdminKubeconfig(c.Name, "https://"+c.Endpoint, c.PKI.CA)
	if err != nil {
		return nil, err
	}
	cl := &mcCluster{name: c.Name, ip: ip, kube: kube, dyn: dyn, kubeconfig: filepath.Join(t.TempDir(), "admin.conf")}
	if err := os.WriteFile(cl.kubeconfig, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	if err := createCPI(ctx, kube); err != nil {
		return nil, err
	}
	mc := map[string]any{"enableGateway": true, "member": map[string]any{"enabled": true},
		"controller": map[string]any{"podCIDRs": []any{c.PodSubnet}}}
	if c.Name == "mc-lead" {
		mc = map[string]any{"leader": map[string]any{"enabled": true}}
	}
	if err := installAntrea(ctx, cl, map[string]any{"featureGates": map[string]any{"Multicluster": true}, "multicluster": mc}); err != nil {
		return nil, err
	}
	ns := map[bool]string{true: leaderNS, false: memberNS}[c.Name == "mc-lead"]
	err = nodetest.Eventually(ctx, time.Minute, c.Name+" antrea-mc-controller Available", func(ctx context.Context) (bool, error) {
		d, err := kube.AppsV1().Deployments(ns).Get(ctx, "antrea-mc-controller", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 1, err
	})
	return cl, err
}

// createCPI creates the vSphere CPI's DaemonSet, so that the simulated CPI
// initialises the Node and Pods get scheduled.
func createCPI(ctx context.Context, kube kubernetes.Interface) error {
	labels := map[string]string{"k8s-app": "vsphere-cloud-controller-manager"}
	_, err := kube.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "vsphere-cloud-controller-manager"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					HostNetwork: true,
					Containers: []corev1.Container{{
						Name: "vsphere-cloud-controller-manager", Image: "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.35.0",
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	return err
}

// helmConfig is a Helm action configuration for the cluster's kube-system.
func helmConfig(cl *mcCluster) (*action.Configuration, error) {
	settings := cli.New()
	settings.KubeConfig = cl.kubeconfig
	settings.SetNamespace(memberNS)
	cfg := new(action.Configuration)
	if err := cfg.Init(settings.RESTClientGetter(), memberNS, "secret", func(string, ...any) {}); err != nil {
		return nil, err
	}
	return cfg, nil
}

// installAntrea installs the simulator's antrea chart into kube-system with
// the Helm SDK.
func installAntrea(ctx context.Context, cl *mcCluster, vals map[string]any) error {
	ch, err := charts.Load("antrea")
	if err != nil {
		return err
	}
	cfg, err := helmConfig(cl)
	if err != nil {
		return err
	}
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace, install.Timeout = "antrea", memberNS, time.Minute
	if _, err := install.RunWithContext(ctx, ch, vals); err != nil {
		return fmt.Errorf("install antrea into %s: %w", cl.name, err)
	}
	return nil
}

// memberToken makes, on the leader, the per-member ServiceAccount bound to
// clusterID, optionally its RoleBinding to antrea-mc-member-cluster-role,
// and its token Secret; it returns the Secret once the token controller
// has filled it.
func memberToken(t *testing.T, lead *mcCluster, clusterID string, bind bool) *corev1.Secret {
	t.Helper()
	ctx := t.Context()
	name := clusterID + "-member-token"
	_, err := lead.kube.CoreV1().ServiceAccounts(leaderNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: name, Annotations: map[string]string{"multicluster.antrea.io/cluster-id": clusterID},
	}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if bind {
		_, err = lead.kube.RbacV1().RoleBindings(leaderNS).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "antrea-mc-member-cluster-role"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: leaderNS}},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	_, err = lead.kube.CoreV1().Secrets(leaderNS).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{corev1.ServiceAccountNameKey: name}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	var secret *corev1.Secret
	waitFor(t, 30*time.Second, "token of "+name, func(ctx context.Context) (bool, error) {
		secret, err = lead.kube.CoreV1().Secrets(leaderNS).Get(ctx, name, metav1.GetOptions{})
		return err == nil && len(secret.Data[corev1.ServiceAccountTokenKey]) > 0, err
	})
	return secret
}

// tokenCA returns the leader's CA as its token Secrets carry it.
func tokenCA(t *testing.T, lead *mcCluster) []byte {
	t.Helper()
	return memberToken(t, lead, "mc-probe", false).Data[corev1.ServiceAccountRootCAKey]
}

// copyToken copies a member token Secret to the member as the Opaque Secret
// leader-token in kube-system, keys token and ca.crt.
func copyToken(t *testing.T, member *mcCluster, token *corev1.Secret) {
	t.Helper()
	copyTokenData(t, member, token.Data[corev1.ServiceAccountTokenKey], token.Data[corev1.ServiceAccountRootCAKey])
}

func copyTokenData(t *testing.T, member *mcCluster, token, ca []byte) {
	t.Helper()
	secrets := member.kube.CoreV1().Secrets(memberNS)
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "leader-token"},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{corev1.ServiceAccountTokenKey: token, corev1.ServiceAccountRootCAKey: ca},
	}
	if _, err := secrets.Create(t.Context(), want, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = secrets.Update(t.Context(), want, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
}

// annotateGateway marks a Node as the cluster's multi-cluster gateway.
func annotateGateway(t *testing.T, cl *mcCluster, nodeName string) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"multicluster.antrea.io/gateway":"true"}}}`)
	if _, err := cl.kube.CoreV1().Nodes().Patch(t.Context(), nodeName, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createClusterSet creates the ClusterSet of the test in namespace.
func createClusterSet(t *testing.T, cl *mcCluster, namespace string, spec map[string]any) {
	t.Helper()
	cs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "multicluster.crd.antrea.io/v1alpha2", "kind": "ClusterSet",
		"metadata": map[string]any{"name": clusterSetName, "namespace": namespace},
		"spec":     spec,
	}}
	if _, err := cl.dyn.Resource(mcClusterSets).Namespace(namespace).Create(t.Context(), cs, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create ClusterSet in %s: %v", cl.name, err)
	}
}

// deleteClusterSet deletes a member's ClusterSet and waits until it is gone.
func deleteClusterSet(t *testing.T, cl *mcCluster) {
	t.Helper()
	ri := cl.dyn.Resource(mcClusterSets).Namespace(memberNS)
	if err := ri.Delete(t.Context(), clusterSetName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ClusterSet deleted", func(ctx context.Context) (bool, error) {
		_, err := ri.Get(ctx, clusterSetName, metav1.GetOptions{})
		return apierrors.IsNotFound(err), err
	})
}

func getClusterSet(t *testing.T, cl *mcCluster, namespace string) *unstructured.Unstructured {
	t.Helper()
	cs, err := cl.dyn.Resource(mcClusterSets).Namespace(namespace).Get(t.Context(), clusterSetName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// clusterSetReady reports whether a ClusterSet is Ready with ready clusters.
func clusterSetReady(ctx context.Context, cl *mcCluster, namespace string, ready int64) (bool, error) {
	cs, err := cl.dyn.Resource(mcClusterSets).Namespace(namespace).Get(ctx, clusterSetName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	n, _, _ := unstructured.NestedInt64(cs.Object, "status", "readyClusters")
	c := readyCondition(cs)
	return n == ready && c["status"] == "True", fmt.Errorf("readyClusters %d, Ready %v", n, c)
}

// readyMessageContains reports whether the member's ClusterSet is not Ready
// with a message containing want.
func readyMessageContains(ctx context.Context, cl *mcCluster, want string) (bool, error) {
	cs, err := cl.dyn.Resource(mcClusterSets).Namespace(memberNS).Get(ctx, clusterSetName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	c := readyCondition(cs)
	msg, _ := c["message"].(string)
	return c["status"] == "False" && strings.Contains(msg, want), fmt.Errorf("Ready %v", c)
}

func readyCondition(cs *unstructured.Unstructured) map[string]any {
	conds, _, _ := unstructured.NestedSlice(cs.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Ready" {
			return m
		}
	}
	return nil
}

// clusterCondition returns the condition typ of clusterID in a ClusterSet's
// status.clusterStatuses.
func clusterCondition(cs *unstructured.Unstructured, clusterID, typ string) map[string]any {
	list, _, _ := unstructured.NestedSlice(cs.Object, "status", "clusterStatuses")
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m["clusterID"] != clusterID {
			continue
		}
		conds, _ := m["conditions"].([]any)
		for _, c := range conds {
			if cm, ok := c.(map[string]any); ok && cm["type"] == typ {
				return cm
			}
		}
	}
	return nil
}

// assertNoAnnounce checks that no MemberClusterAnnounce of clusterID exists
// on the leader.
func assertNoAnnounce(t *testing.T, lead *mcCluster, clusterID string) {
	t.Helper()
	list, err := lead.dyn.Resource(mcAnnounces).Namespace(leaderNS).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mca := range list.Items {
		if mca.Object["clusterID"] == clusterID || mca.GetName() == "member-announce-from-"+clusterID {
			t.Errorf("leader has MemberClusterAnnounce %s of %s", mca.GetName(), clusterID)
		}
	}
}
